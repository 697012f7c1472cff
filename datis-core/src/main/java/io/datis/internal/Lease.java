package io.datis.internal;

import java.time.Duration;

/**
 * How long this instance may still act as the pipeline's active one: it may hand batches to the
 * sink and commit offsets only while the lease holds. {@link PipelineLockWatch} renews it each time
 * it confirms that this instance still holds the {@link PipelineLock}, from the moment that check
 * began; if the lock is lost, or cannot be confirmed, the lease runs out by itself within {@link
 * #DURATION}, whatever the threads doing the confirming are up to.
 */
final class Lease {

  /**
   * How long one confirmation of the lock lets the instance act. A standby that takes the lock over
   * waits this long before it acts, so that the previous holder has stopped by then.
   */
  static final Duration DURATION = Duration.ofSeconds(5);

  private final long durationNanos;

  /** {@link System#nanoTime()} until which the lease holds. */
  private volatile long validUntil;

  private volatile boolean revoked;

  private Lease(Duration duration, long validUntil) {
    this.durationNanos = duration.toNanos();
    this.validUntil = validUntil;
  }

  /** A lease granted at {@code confirmedAt} ({@link System#nanoTime()}), for {@link #DURATION}. */
  static Lease grantedAt(long confirmedAt) {
    return new Lease(DURATION, confirmedAt + DURATION.toNanos());
  }

  /** A lease that always holds, for parts tested on their own. */
  static Lease unlimited() {
    return new Lease(DURATION, System.nanoTime() + (Long.MAX_VALUE >> 1));
  }

  /** Extends the lease: the lock was confirmed by a check that began at {@code checkStartedAt}. */
  void renew(long checkStartedAt) {
    long until = checkStartedAt + durationNanos;
    if (until - validUntil > 0) {
      validUntil = until;
    }
  }

  /** Ends the lease at once: the lock is lost, or the instance steps down. */
  void revoke() {
    revoked = true;
  }

  /** Whether the instance may still act as the active one. */
  boolean holds() {
    return !revoked && System.nanoTime() - validUntil < 0;
  }

  boolean isRevoked() {
    return revoked;
  }
}
