package io.datis.internal;

import io.datis.Pipeline;
import io.datis.api.DatisException;
import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes each batch the Debezium engine hands over, in capture order: {@link BatchPreparation} makes
 * the events and commit points, {@link InFlightLimit} waits for room (so a slow sink pauses
 * capture), {@link OffsetCommitter} appends the batch, {@link SinkDispatch} hands it to the sink,
 * and the sink's completion releases the room and lets the committer commit. Once {@link #stop()
 * stopped}, batches are no longer handed on (they stay uncommitted), except the end of a
 * transaction that was delivered whole. Nor are they once the {@link Lease} no longer holds: then
 * this instance may no longer be the active one.
 */
final class BatchHandler implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

  private static final Logger log = LoggerFactory.getLogger(BatchHandler.class);

  private final String pipelineName;
  private final RecordConverter converter;
  private final BatchPreparation preparation;
  private final InFlightLimit inFlight;
  private final OffsetCommitter offsets;
  private final SinkDispatch dispatch;
  private final Consumer<DatisException> fail;
  private final Lease lease;
  private final Runnable leaseLapsed;
  private final DeliveredTransaction delivered = new DeliveredTransaction();

  /**
   * Held while a batch is checked against {@link #stopping} and appended to the committer, and
   * while {@link #stop()} sets it: a batch either is appended before close waits for the committer,
   * or is dropped.
   */
  private final Object handoff = new Object();

  private volatile boolean stopping;

  /**
   * Debezium's thread that calls {@link #handleBatch}: a close() from it must not wait for the
   * engine.
   */
  private volatile @Nullable Thread pollingThread;

  private volatile @Nullable Instant lastEventTime;
  private volatile @Nullable Long newestCapturedLsn;

  BatchHandler(
      String pipelineName,
      RecordConverter converter,
      BatchPreparation preparation,
      InFlightLimit inFlight,
      OffsetCommitter offsets,
      SinkDispatch dispatch,
      Consumer<DatisException> fail,
      Lease lease,
      Runnable leaseLapsed) {
    this.pipelineName = pipelineName;
    this.converter = converter;
    this.preparation = preparation;
    this.inFlight = inFlight;
    this.offsets = offsets;
    this.dispatch = dispatch;
    this.fail = fail;
    this.lease = lease;
    this.leaseLapsed = leaseLapsed;
  }

  @Override
  public void handleBatch(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> recordCommitter)
      throws InterruptedException {
    pollingThread = Thread.currentThread();
    // Debezium's thread: the pipeline's name goes into the MDC for this batch's transforms and
    // sink.
    try (MDC.MDCCloseable ignored = MDC.putCloseable(Pipeline.MDC_KEY, pipelineName)) {
      offsets.useCommitter(recordCommitter);
      handle(records);
    }
  }

  private void handle(List<RecordChangeEvent<SourceRecord>> records) throws InterruptedException {
    if (stopping) {
      commitTheEndOfTheDeliveredTransaction(records);
      return; // the rest is not appended, so not committed: delivered again by the next pipeline
    }
    PreparedBatch prepared = preparation.prepare(records);
    if (prepared.failure != null) {
      fail.accept(prepared.failure);
      delivered.dropped();
      return; // nothing from this batch on is committed
    }
    if (prepared.newest != null) {
      newestCapturedLsn = prepared.newest.position().lsn();
    }
    if (prepared.seenChange) {
      lastEventTime = Instant.now(); // once per batch: the clock is not free on the hot path
    }
    synchronized (handoff) {
      if (stopping) { // stop() came while the batch was prepared
        commitTheEndOfTheDeliveredTransaction(records);
        return;
      }
      if (prepared.leadingCommitPoint != null) {
        completed(offsets.append(prepared.leadingCommitPoint, 0, 0, List.of()));
        delivered.appended(false);
      }
    }
    if (prepared.isEmpty()) {
      return;
    }
    List<ChangeEvent> events = prepared.events;
    if (!inFlight.acquire(events.size(), prepared.bytes, () -> stopping)) {
      delivered.dropped();
      return;
    }
    if (!lease.holds()) { // another instance may be active by now: hand nothing more to the sink
      inFlight.release(events.size(), prepared.bytes);
      delivered.dropped();
      leaseLapsed.run();
      return;
    }
    CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment;
    synchronized (handoff) {
      if (stopping) {
        inFlight.release(events.size(), prepared.bytes);
        delivered.dropped();
        return;
      }
      segment =
          offsets.append(
              prepared.commitPoint, events.size(), prepared.bytes, prepared.whenAcknowledged);
      delivered.appended(prepared.endsOpen);
    }
    if (events.isEmpty() && prepared.poisonHandled.isEmpty()) {
      completed(segment);
    } else {
      dispatch
          .deliver(Collections.unmodifiableList(events), prepared.poisonHandled)
          .whenComplete(
              (ignored, error) -> LoggingContext.run(pipelineName, () -> settled(segment, error)));
    }
  }

  /**
   * While stopping: commits the end of the transaction whose changes were all delivered, if it
   * comes before any further change. pgoutput sends it right behind its last change, often in the
   * next batch.
   */
  private void commitTheEndOfTheDeliveredTransaction(
      List<RecordChangeEvent<SourceRecord>> records) {
    for (RecordChangeEvent<SourceRecord> record : records) {
      switch (converter.kindOf(record.record())) {
        case CHANGE:
          delivered.dropped();
          return;
        case TRANSACTION_END:
          if (delivered.awaitsItsEnd()) {
            completed(offsets.append(record, 0, 0, List.of()));
            delivered.appended(false);
          }
          return;
        default:
          break;
      }
    }
  }

  /** Runs on whichever thread completed the batch, often the sink's. */
  private void settled(
      CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment, @Nullable Throwable error) {
    if (error == null) {
      completed(segment);
      return;
    }
    inFlight.release(segment.events(), segment.bytes());
    Throwable cause = Completions.cause(error);
    if (stopping) {
      // closing (or already failed): the batch just stays uncommitted and is delivered again
      log.debug("Pipeline '{}': a batch failed while stopping: {}", pipelineName, cause.toString());
    } else {
      fail.accept(
          cause instanceof DatisException
              ? (DatisException) cause
              : new SinkException(cause.toString(), cause));
    }
  }

  private void completed(CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment) {
    inFlight.release(segment.events(), segment.bytes());
    offsets.completed(segment);
  }

  /** Hands on no more batches: those still to come stay uncommitted, for the next pipeline. */
  void stop() {
    synchronized (handoff) {
      stopping = true;
    }
  }

  boolean isStopping() {
    return stopping;
  }

  /**
   * Waits (up to the timeout) for the end of a transaction whose changes were all handed to the
   * sink.
   */
  void awaitTheDeliveredTransactionsEnd(long timeoutMillis) throws InterruptedException {
    delivered.awaitEnd(timeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  boolean isPollingThread(Thread thread) {
    return thread == pollingThread;
  }

  /** When the newest batch holding a change arrived. */
  @Nullable Instant lastEventTime() {
    return lastEventTime;
  }

  /** The WAL position of the newest change captured (before transforms). */
  @Nullable Long newestCapturedLsn() {
    return newestCapturedLsn;
  }
}
