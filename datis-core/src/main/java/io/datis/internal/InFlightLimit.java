package io.datis.internal;

import java.util.function.BooleanSupplier;

/**
 * Bounds what the sink holds unacknowledged, by events and by (estimated) bytes, so that a slow
 * sink pauses capture before memory runs out, whether rows are small or wide. A batch larger than
 * the whole byte budget counts as the budget, so it still goes, alone.
 */
final class InFlightLimit {

  /** How often a waiting batch checks whether the pipeline is stopping. */
  private static final long STOPPING_CHECK_MILLIS = 100;

  private final int maxEvents;
  private final long maxBytes;
  private int events;
  private long bytes;

  InFlightLimit(int maxEvents, long maxBytes) {
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
  }

  /**
   * Waits until the batch fits; {@code false} (having taken nothing) if {@code stopping} turned
   * true meanwhile.
   */
  synchronized boolean acquire(int eventCount, long batchBytes, BooleanSupplier stopping)
      throws InterruptedException {
    long charged = chargeOf(batchBytes);
    while (events + eventCount > maxEvents || bytes + charged > maxBytes) {
      if (stopping.getAsBoolean()) {
        return false;
      }
      wait(STOPPING_CHECK_MILLIS);
    }
    events += eventCount;
    bytes += charged;
    return true;
  }

  synchronized void release(int eventCount, long batchBytes) {
    events -= eventCount;
    bytes -= chargeOf(batchBytes);
    notifyAll();
  }

  /** Events handed to the sink and not yet acknowledged. */
  synchronized int events() {
    return events;
  }

  /** Estimated bytes of those events. */
  synchronized long bytes() {
    return bytes;
  }

  private long chargeOf(long batchBytes) {
    return Math.min(batchBytes, maxBytes);
  }
}
