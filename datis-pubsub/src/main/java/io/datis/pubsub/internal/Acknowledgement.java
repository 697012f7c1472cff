package io.datis.pubsub.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Waits for a group of messages, a delivered batch or one dead letter: completes when Pub/Sub has
 * acknowledged the last of them, and fails with the first failure. One counter per group instead of
 * a future per message keeps the cost per message low.
 */
final class Acknowledgement {

  private final AtomicInteger unacknowledged;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  Acknowledgement(int messages) {
    this.unacknowledged = new AtomicInteger(messages);
    if (messages == 0) {
      done.complete(null);
    }
  }

  void acknowledged() {
    if (unacknowledged.decrementAndGet() == 0) {
      done.complete(null);
    }
  }

  void failed(Throwable cause) {
    done.completeExceptionally(cause);
  }

  CompletableFuture<Void> done() {
    return done;
  }
}
