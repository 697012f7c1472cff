package io.datis.internal;

import java.util.concurrent.TimeUnit;

/**
 * Whether the changes handed to the sink end inside a transaction, so that a graceful close can
 * wait for that transaction's end and commit it instead of leaving the whole transaction to be
 * delivered again. pgoutput sends a transaction only once it committed, so its end follows its last
 * change at once.
 */
final class DeliveredTransaction {

  private boolean open;

  /**
   * Set when a batch of changes was not delivered: any later transaction end is not ours to commit.
   */
  private boolean changesDropped;

  /**
   * A batch was handed on; {@code endsOpen} if its last change is not followed by a commit point.
   */
  synchronized void appended(boolean endsOpen) {
    open = endsOpen;
    notifyAll();
  }

  /** A batch with changes was not handed on (the pipeline is stopping). */
  synchronized void dropped() {
    changesDropped = true;
    notifyAll();
  }

  /**
   * Whether a transaction end arriving now would close what was delivered, and nothing was skipped.
   */
  synchronized boolean awaitsItsEnd() {
    return open && !changesDropped;
  }

  /**
   * Waits until the delivered changes end at a commit point, or until that cannot happen any more.
   */
  synchronized void awaitEnd(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (awaitsItsEnd()) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return;
      }
      TimeUnit.NANOSECONDS.timedWait(this, remaining);
    }
  }
}
