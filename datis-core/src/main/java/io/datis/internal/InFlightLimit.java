package io.datis.internal;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Bounds what the sink holds unacknowledged, by events and by (estimated) bytes, so that a slow sink
 * pauses capture before memory runs out, whether rows are small or wide. A batch larger than the whole
 * byte budget still goes, alone.
 */
final class InFlightLimit {

  private final int maxEvents;
  private final int maxKilobytes;
  private final Semaphore events;
  /** Bytes are counted in kB, so that a semaphore's int permits cover budgets of several GB. */
  private final Semaphore kilobytes;

  InFlightLimit(int maxEvents, long maxBytes) {
    this.maxEvents = maxEvents;
    this.maxKilobytes = (int) Math.min(Integer.MAX_VALUE, Math.max(1, maxBytes / 1024));
    this.events = new Semaphore(maxEvents);
    this.kilobytes = new Semaphore(maxKilobytes);
  }

  /**
   * Waits until the batch fits; {@code false} (having taken nothing) if {@code stopping} turned true
   * meanwhile.
   */
  boolean acquire(int eventCount, long bytes, BooleanSupplier stopping) throws InterruptedException {
    while (!events.tryAcquire(eventCount, 100, TimeUnit.MILLISECONDS)) {
      if (stopping.getAsBoolean()) {
        return false;
      }
    }
    int kb = kilobytesOf(bytes);
    while (!kilobytes.tryAcquire(kb, 100, TimeUnit.MILLISECONDS)) {
      if (stopping.getAsBoolean()) {
        events.release(eventCount);
        return false;
      }
    }
    return true;
  }

  void release(int eventCount, long bytes) {
    events.release(eventCount);
    kilobytes.release(kilobytesOf(bytes));
  }

  /** Events handed to the sink and not yet acknowledged. */
  int events() {
    return maxEvents - events.availablePermits();
  }

  /** Estimated bytes of those events. */
  long bytes() {
    return (long) (maxKilobytes - kilobytes.availablePermits()) * 1024;
  }

  private int kilobytesOf(long bytes) {
    return (int) Math.min(maxKilobytes, (bytes + 1023) / 1024);
  }
}
