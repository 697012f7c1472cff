package io.datis.internal;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Confirms, every {@link #INTERVAL}, that the active instance still holds its {@link PipelineLock},
 * and renews the {@link Lease} from the moment each confirmation began. When the lock is gone, or
 * cannot be confirmed (the lock's connection broke or the server does not answer within the socket
 * timeout), it revokes the lease and tells the pipeline, once. The lease runs out by itself even if
 * this watch is held up, so a stuck check fences the instance all the same.
 */
final class PipelineLockWatch implements AutoCloseable {

  /**
   * How often the lock is confirmed: a failed check is seen within this plus the socket timeout.
   */
  static final Duration INTERVAL = Duration.ofSeconds(1);

  private final PipelineLock lock;
  private final Lease lease;
  private final Consumer<String> lost;
  private final ScheduledExecutorService scheduler;
  private final AtomicBoolean reported = new AtomicBoolean();

  /**
   * @param lost told, once, why the lock is lost
   */
  PipelineLockWatch(PipelineLock lock, Lease lease, Consumer<String> lost, ThreadFactory threads) {
    this.lock = lock;
    this.lease = lease;
    this.lost = lost;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(threads);
  }

  void start() {
    scheduler.scheduleWithFixedDelay(
        this::check, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void check() {
    long started = System.nanoTime();
    String reason;
    try {
      if (lock.isHeld()) {
        lease.renew(started);
        return;
      }
      reason = "PostgreSQL no longer holds the lock for this instance";
    } catch (Exception e) {
      reason = "its connection failed (" + e.getMessage() + ")";
    }
    lose(reason);
  }

  private void lose(String reason) {
    lease.revoke();
    if (reported.compareAndSet(false, true)) {
      try {
        scheduler.shutdown();
      } catch (RejectedExecutionException e) {
        // closing already
      }
      lost.accept(reason);
    }
  }

  @Override
  public void close() {
    reported.set(true);
    scheduler.shutdownNow();
  }
}
