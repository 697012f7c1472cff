package io.datis.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits offsets, and only for what the sink acknowledged: batches are appended in capture order
 * with the commit point (a transaction end) each contains; as the sink completes them, the newest
 * commit point of the contiguous completed prefix is handed to Debezium's committer, on a thread of
 * its own so that neither the sink's threads nor Debezium's wait for the offset store. Only the
 * newest pending point is committed: it covers every point before it.
 */
final class OffsetCommitter {

  private static final Logger log = LoggerFactory.getLogger(OffsetCommitter.class);

  private final String pipeline;
  private final CommitTracker<RecordChangeEvent<SourceRecord>> tracker = new CommitTracker<>();
  private final Object lock = new Object();
  private final AtomicReference<@Nullable RecordChangeEvent<SourceRecord>> pending =
      new AtomicReference<>();
  private final ExecutorService commitThread;
  private final Lease lease;
  private volatile DebeziumEngine.@Nullable RecordCommitter<RecordChangeEvent<SourceRecord>>
      committer;
  private volatile @Nullable Long lastCommittedLsn;
  private volatile @Nullable Instant lastCommitTime;

  /**
   * @param threads makes the commit thread, named and with the pipeline in its logging context
   * @param lease commits happen only while it holds: an instance that may no longer be the active
   *     one must not move the offsets that the active one now moves
   */
  OffsetCommitter(String pipeline, ThreadFactory threads, Lease lease) {
    this.pipeline = pipeline;
    this.lease = lease;
    this.commitThread = Executors.newSingleThreadExecutor(threads);
  }

  /** The committer of Debezium's latest batch: the one later commits go through. */
  void useCommitter(
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> recordCommitter) {
    committer = recordCommitter;
  }

  /**
   * Appends the next batch of the stream, in capture order.
   *
   * @param commitPoint the batch's last transaction end, if any
   * @param whenAcknowledged what to run once the sink acknowledged this batch and every one before
   *     it
   */
  CommitTracker.Segment<RecordChangeEvent<SourceRecord>> append(
      @Nullable RecordChangeEvent<SourceRecord> commitPoint,
      int events,
      long bytes,
      List<Runnable> whenAcknowledged) {
    return tracker.append(commitPoint, events, bytes, whenAcknowledged);
  }

  /**
   * The sink acknowledged the batch: commits the completed prefix's newest commit point, if it
   * moved.
   */
  void completed(CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment) {
    synchronized (lock) {
      RecordChangeEvent<SourceRecord> newest = tracker.complete(segment);
      if (newest != null && pending.getAndSet(newest) == null) {
        try {
          commitThread.execute(this::commitPending);
        } catch (RejectedExecutionException e) {
          log.debug("Pipeline '{}' stopped; offsets are no longer committed", pipeline);
        }
      }
    }
  }

  /** Commits the newest acknowledged transaction end; runs on the commit thread. */
  private void commitPending() {
    RecordChangeEvent<SourceRecord> point;
    // Under the lock: a batch that just completed (and let close() see the tracker drained) may
    // still be
    // handing over its commit point.
    synchronized (lock) {
      point = pending.getAndSet(null);
    }
    DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> current = committer;
    if (point == null || current == null) {
      return;
    }
    if (!lease.holds()) {
      log.debug(
          "Pipeline '{}' no longer holds its lock; offsets are no longer committed", pipeline);
      return;
    }
    try {
      current.markProcessed(point);
      current.markBatchFinished();
      lastCommittedLsn = committedLsn(point.record());
      lastCommitTime = Instant.now();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn(
          "Pipeline '{}' could not commit offsets; will retry with the next commit: {}",
          pipeline,
          e.toString());
    }
  }

  private static @Nullable Long committedLsn(SourceRecord record) {
    Object lsn = record.sourceOffset().get("lsn_commit");
    if (lsn == null) {
      lsn = record.sourceOffset().get("lsn");
    }
    return lsn instanceof Long ? (Long) lsn : null;
  }

  /**
   * Waits until the sink completed every appended batch; {@code false} if the timeout elapsed
   * first.
   */
  boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
    return tracker.awaitDrained(timeout, unit);
  }

  /** Batches not yet in the completed prefix. */
  int pendingBatches() {
    return tracker.pendingBatches();
  }

  /** Commits what is pending, waits for it, and stops committing: for the pipeline's stop. */
  void commitAndStop() {
    try {
      commitThread.submit(this::commitPending).get(30, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      log.warn("Pipeline '{}' could not commit its last offsets: {}", pipeline, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    commitThread.shutdown();
  }

  /** The LSN up to which offsets were committed; {@code null} before the first commit. */
  @Nullable Long lastCommittedLsn() {
    return lastCommittedLsn;
  }

  /** When offsets were last committed; {@code null} before the first commit. */
  @Nullable Instant lastCommitTime() {
    return lastCommitTime;
  }
}
