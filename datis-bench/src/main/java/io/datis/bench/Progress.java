package io.datis.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Counts a scenario's events, thread-safely, and remembers when the first one was seen and when the
 * expected number was reached, with this JVM's CPU time at both moments.
 */
final class Progress {

  private final long expected;
  private final long startNanos = System.nanoTime();
  private final AtomicReference<Moment> first = new AtomicReference<>(Moment.NOT_YET);
  private final AtomicLong count = new AtomicLong();
  private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile Moment last = Moment.NOT_YET;

  Progress(long expected) {
    this.expected = expected;
  }

  /** The consumer saw an event (delivery may still be pending). */
  void seen() {
    if (first.get() == Moment.NOT_YET) {
      first.compareAndSet(Moment.NOT_YET, Moment.now());
    }
  }

  /** {@code events} more events are done (counted, or acknowledged). */
  void add(long events) {
    seen();
    long now = count.addAndGet(events);
    if (now >= expected && now - events < expected) {
      last = Moment.now();
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

  private Moment firstSeen() {
    return java.util.Objects.requireNonNull(first.get());
  }

  /** Milliseconds from creation to the first event seen. */
  double firstEventMillis() {
    return (firstSeen().nanos() - startNanos) / 1e6;
  }

  /** Seconds from the first event seen to the last expected event done. */
  double drainSeconds() {
    return (last.nanos() - firstSeen().nanos()) / 1e9;
  }

  /** Microseconds of this JVM's CPU per event done, from the first event seen to the last done. */
  double cpuMicrosPerEvent() {
    return CpuTime.microsPerEvent(firstSeen().cpuNanos(), last.cpuNanos(), count.get());
  }

  /** When something happened: {@link System#nanoTime} and this JVM's CPU time. */
  private record Moment(long nanos, long cpuNanos) {

    static final Moment NOT_YET = new Moment(0, -1);

    static Moment now() {
      return new Moment(System.nanoTime(), CpuTime.thisProcessNanos());
    }
  }
}
