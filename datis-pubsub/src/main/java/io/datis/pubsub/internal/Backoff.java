package io.datis.pubsub.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with full jitter between an initial and a maximum delay. */
final class Backoff {

  private final long initialMillis;
  private final long maxMillis;

  Backoff(Duration initial, Duration max) {
    this.initialMillis = Math.max(1, initial.toMillis());
    this.maxMillis = Math.max(initialMillis, max.toMillis());
  }

  /**
   * The delay before the given (1-based) attempt: up to initial × 2^(attempt-1), at most the
   * maximum.
   */
  long delayMillis(int attempt) {
    long ceiling = initialMillis << Math.min(attempt - 1, 30);
    ceiling = ceiling <= 0 ? maxMillis : Math.min(ceiling, maxMillis);
    return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
  }
}
