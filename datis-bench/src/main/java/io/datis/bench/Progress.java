package io.datis.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Counts a scenario's events, thread-safely, and remembers when the first one was seen and when the
 * expected number was reached.
 */
final class Progress {

  private final long expected;
  private final long startNanos = System.nanoTime();
  private final AtomicLong firstNanos = new AtomicLong();
  private final AtomicLong count = new AtomicLong();
  private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile long lastNanos;

  Progress(long expected) {
    this.expected = expected;
  }

  /** The consumer saw an event (delivery may still be pending). */
  void seen() {
    if (firstNanos.get() == 0) {
      firstNanos.compareAndSet(0, System.nanoTime());
    }
  }

  /** {@code events} more events are done (counted, or acknowledged). */
  void add(long events) {
    seen();
    long now = count.addAndGet(events);
    if (now >= expected && now - events < expected) {
      lastNanos = System.nanoTime();
      done.countDown();
    }
  }

  void fail(Throwable error) {
    failure.compareAndSet(null, error);
    done.countDown();
  }

  long count() {
    return count.get();
  }

  long expected() {
    return expected;
  }

  /**
   * Waits until the expected number of events is done, printing progress on stderr every 5 s.
   *
   * @throws IllegalStateException if the scenario failed or timed out
   */
  void await(String label, long timeoutSeconds) throws InterruptedException {
    long deadline = startNanos + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (!done.await(5, TimeUnit.SECONDS)) {
      System.err.printf("  [%s] %,d / %,d events%n", label, count.get(), expected);
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "timed out after " + timeoutSeconds + " s with " + count.get() + " of " + expected);
      }
    }
    Throwable failed = failure.get();
    if (failed != null) {
      throw new IllegalStateException("scenario failed: " + failed, failed);
    }
  }

  /** Milliseconds from creation to the first event seen. */
  double firstEventMillis() {
    return (firstNanos.get() - startNanos) / 1e6;
  }

  /** Seconds from the first event seen to the last expected event done. */
  double drainSeconds() {
    return (lastNanos - firstNanos.get()) / 1e9;
  }
}
