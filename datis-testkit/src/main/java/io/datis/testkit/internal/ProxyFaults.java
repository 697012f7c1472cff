package io.datis.testkit.internal;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The faults a {@code TcpProxy} applies to the bytes it forwards: a blackhole that holds them, and
 * a delay per chunk. The forwarding threads ask it before each read and each write; the checks are
 * two volatile reads when no fault is on, so a stream runs at full speed.
 *
 * <p>Not supported API: used by {@code TcpProxy} only.
 */
public final class ProxyFaults {

  private final Object lock = new Object();
  private volatile boolean blackhole;
  private volatile long delayNanos;

  /** Starts or stops holding every byte, in both directions. */
  public void blackhole(boolean on) {
    synchronized (lock) {
      blackhole = on;
      lock.notifyAll();
    }
  }

  /** Whether bytes are held. */
  public boolean blackholed() {
    return blackhole;
  }

  /** Sets the delay added to each forwarded chunk; zero for none. */
  public void delay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    synchronized (lock) {
      delayNanos = delay.toNanos();
      lock.notifyAll();
    }
  }

  /** The delay added to each forwarded chunk. */
  public Duration delay() {
    return Duration.ofNanos(delayNanos);
  }

  /** Wakes every waiting thread, so that it sees that its connection was closed. */
  public void wakeAll() {
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  /**
   * Waits while the blackhole is on.
   *
   * @return false if {@code closed} became true while waiting (or was already)
   */
  public boolean awaitFlowing(BooleanSupplier closed) throws InterruptedException {
    if (!blackhole) {
      return !closed.getAsBoolean();
    }
    synchronized (lock) {
      while (blackhole && !closed.getAsBoolean()) {
        lock.wait();
      }
    }
    return !closed.getAsBoolean();
  }

  /**
   * Waits until the delay has passed since {@code readAtNanos}, the {@link System#nanoTime()} at
   * which the chunk was read.
   *
   * @return false if {@code closed} became true while waiting (or was already)
   */
  public boolean awaitDelay(long readAtNanos, BooleanSupplier closed) throws InterruptedException {
    if (delayNanos == 0) {
      return !closed.getAsBoolean();
    }
    synchronized (lock) {
      while (!closed.getAsBoolean()) {
        long remaining = readAtNanos + delayNanos - System.nanoTime();
        if (remaining <= 0) {
          return true;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, remaining);
      }
    }
    return false;
  }
}
