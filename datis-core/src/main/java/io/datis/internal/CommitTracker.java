package io.datis.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Tracks the batches handed to the sink, in capture order, and finds the contiguous prefix that the
 * sink has completed. Offsets may advance only to the last commit point inside that prefix: a batch
 * completed out of order waits for the ones before it.
 *
 * @param <P> a commit point: something whose offset may be committed (a transaction end)
 */
final class CommitTracker<P> {

  /** One batch of the capture stream, with the last commit point it contains, if any. */
  static final class Segment<P> {
    private final @Nullable P commitPoint;
    private final int events;
    private final long bytes;
    private final List<Runnable> whenAcknowledged;
    private boolean completed;

    private Segment(
        @Nullable P commitPoint, int events, long bytes, List<Runnable> whenAcknowledged) {
      this.commitPoint = commitPoint;
      this.events = events;
      this.bytes = bytes;
      this.whenAcknowledged = whenAcknowledged;
    }

    int events() {
      return events;
    }

    /** The estimated size of its events. */
    long bytes() {
      return bytes;
    }
  }

  private final ArrayDeque<Segment<P>> segments = new ArrayDeque<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition drained = lock.newCondition();

  /** Appends the next batch of the stream; called in capture order. */
  Segment<P> append(@Nullable P commitPoint, int events, long bytes) {
    return append(commitPoint, events, bytes, List.of());
  }

  /**
   * Appends the next batch of the stream, with actions to run once it and every batch before it are
   * completed (acknowledged by the sink); called in capture order.
   */
  Segment<P> append(
      @Nullable P commitPoint, int events, long bytes, List<Runnable> whenAcknowledged) {
    Segment<P> segment = new Segment<>(commitPoint, events, bytes, List.copyOf(whenAcknowledged));
    lock.lock();
    try {
      segments.addLast(segment);
    } finally {
      lock.unlock();
    }
    return segment;
  }

  /**
   * Marks a batch completed and returns the newest commit point that is now safe to commit, or
   * {@code null} if the completed prefix did not reach a new one.
   */
  @Nullable P complete(Segment<P> segment) {
    List<Runnable> actions = new ArrayList<>(0);
    P newest = null;
    lock.lock();
    try {
      segment.completed = true;
      while (!segments.isEmpty() && segments.peekFirst().completed) {
        Segment<P> done = segments.removeFirst();
        if (done.commitPoint != null) {
          newest = done.commitPoint;
        }
        actions.addAll(done.whenAcknowledged);
      }
      if (segments.isEmpty()) {
        drained.signalAll();
      }
    } finally {
      lock.unlock();
    }
    actions.forEach(Runnable::run);
    return newest;
  }

  /** Waits until every appended batch has completed; {@code false} if the timeout elapsed first. */
  boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
    long remaining = unit.toNanos(timeout);
    lock.lock();
    try {
      while (!segments.isEmpty()) {
        if (remaining <= 0) {
          return false;
        }
        remaining = drained.awaitNanos(remaining);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** The number of batches not yet in the completed prefix. */
  int pendingBatches() {
    lock.lock();
    try {
      return segments.size();
    } finally {
      lock.unlock();
    }
  }
}
