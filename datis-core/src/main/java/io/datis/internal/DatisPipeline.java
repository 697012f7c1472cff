package io.datis.internal;

import io.datis.Health;
import io.datis.Pipeline;
import io.datis.api.DatisException;
import io.datis.api.SinkException;
import io.datis.api.SourceException;
import io.datis.api.TransformException;
import io.datis.api.UndeliverableEventException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.Sink;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The running pipeline: the Debezium async engine feeds batches of records to {@link #handleBatch}, which
 * converts and transforms them and hands them to the sink without waiting; as the sink completes batches,
 * offsets advance over the contiguous completed prefix, and only at transaction ends (Debezium 3.6.1 can
 * skip, after a restart, changes that share an LSN with the last committed one; a transaction end is
 * never mid-LSN). A semaphore bounds the events in flight, so a slow sink pauses capture.
 */
public final class DatisPipeline implements Pipeline {

  private static final Logger log = LoggerFactory.getLogger(DatisPipeline.class);

  /**
   * The MDC key holding the pipeline's name on every thread that runs Datis code, including where
   * transforms and sinks are called: log patterns show it with {@code %X{datis.pipeline}}.
   */
  public static final String MDC_KEY = "datis.pipeline";

  /** How long {@code start()} waits for the engine to connect and begin polling. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  /** How long {@code close()} waits, at most, for the end of a transaction whose changes were all delivered. */
  private static final Duration TRANSACTION_END_TIMEOUT = Duration.ofSeconds(5);

  private final PipelineSettings settings;
  private final Sink sink;
  private final RecordConverter converter;
  private final TransformChain transforms;
  private final CommitTracker<RecordChangeEvent<SourceRecord>> tracker = new CommitTracker<>();
  private final DeliveredTransaction delivered = new DeliveredTransaction();
  private final InFlightLimit inFlight;
  private final Object commitLock = new Object();
  private final AtomicReference<@Nullable RecordChangeEvent<SourceRecord>> pendingCommit = new AtomicReference<>();
  private final ExecutorService engineExecutor;
  private final ExecutorService commitExecutor;
  private final CountDownLatch pollingStarted = new CountDownLatch(1);
  private final CompletableFuture<Void> termination = new CompletableFuture<>();
  private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
  private final Object lifecycle = new Object();
  /**
   * Held while a batch is checked against {@link #stopping} and handed to the tracker, and while close
   * sets it: a batch either is in the tracker before close waits for the tracker, or is dropped.
   */
  private final Object handoff = new Object();

  private volatile @Nullable DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private volatile DebeziumEngine.@Nullable RecordCommitter<RecordChangeEvent<SourceRecord>> committer;
  /** Debezium's thread that calls {@link #handleBatch}: a close() from it must not wait for the engine. */
  private volatile @Nullable Thread pollingThread;
  /** Set once the engine has stopped by itself or been stopped: closing it again is refused, harmlessly. */
  private volatile boolean engineStopped;
  /** Set once closing or failing: capture no more, deliver no more. */
  private volatile boolean stopping;
  private volatile @Nullable Instant lastEventTime;
  private volatile @Nullable Long lastCommittedLsn;
  private volatile @Nullable Long newestCapturedLsn;
  private volatile @Nullable Instant lastCommitTime;
  private final PipelineMetrics metrics;
  private final PoisonEvents poison;
  private final SourceMonitor sourceMonitor;
  /** The id under which the pipeline's data types are registered for Debezium's column converter. */
  private final String typesId;
  private final Map<TableId, ReplicaIdentity> identities;
  private final IncrementalSnapshots snapshots;
  private final SlotMarker slotMarker;
  private final SinkStatus sinkStatus;
  private final SinkStatus deadLetterStatus;
  private boolean shutdownStarted;

  private DatisPipeline(PipelineSettings settings, CapturedTables tables, SlotMarker marker) {
    this.settings = settings;
    this.slotMarker = marker;
    this.sink = settings.sink();
    this.identities = tables.eventIdentities();
    this.converter = new RecordConverter(DebeziumConfiguration.topicPrefix(settings), identities);
    this.snapshots = new IncrementalSnapshots(settings, identities);
    this.transforms = new TransformChain(settings.transforms());
    this.inFlight = new InFlightLimit(settings.maxInFlightEvents(), settings.maxInFlightBytes());
    this.metrics =
        PipelineMetrics.of(
            settings.meterRegistry(),
            settings.name(),
            inFlight::events,
            inFlight::bytes,
            () -> lastCommitTime,
            this::slotLag,
            this::inFlightWalBytes);
    this.poison = new PoisonEvents(settings.name(), settings.errorPolicy(), metrics);
    metrics.snapshotProgress(snapshots::remainingTables);
    this.sourceMonitor =
        new SourceMonitor(settings, new ReplicaIdentityCheck(settings, tables.serverVersion()), named("source-monitor"));
    String database = settings.source().database();
    this.sinkStatus = new SinkStatus(settings.name(), database, "sink", metrics::sinkRetried);
    this.deadLetterStatus = new SinkStatus(settings.name(), database, "dead-letter sink", metrics::sinkRetried);
    this.typesId = new PostgresTypes(settings.source(), settings.name()).register();
    this.engineExecutor = Executors.newSingleThreadExecutor(named("engine"));
    this.commitExecutor = Executors.newSingleThreadExecutor(named("commit"));
  }

  /** Checks the database, opens the sink and starts the engine; returns once the engine is polling. */
  public static Pipeline start(PipelineSettings settings) {
    SlotMarker marker = new SlotMarker(settings.offsets(), settings.source(), settings.name());
    CapturedTables tables = new PostgresPreflight(settings, marker).run();
    DatisPipeline pipeline = new DatisPipeline(settings, tables, marker);
    try {
      pipeline.launch();
    } catch (RuntimeException e) {
      pipeline.beginShutdown(false);
      pipeline.termination.handle((v, error) -> null).join();
      throw e;
    }
    return pipeline;
  }

  private void launch() {
    try {
      sink.open(sinkStatus);
    } catch (DatisException e) {
      throw e; // already says what is wrong and how to fix it
    } catch (Exception e) {
      throw new SinkException(
          "Sink " + sink.getClass().getName() + " failed to open: " + e.getMessage(), e);
    }
    poison.open(deadLetterStatus);
    DebeziumEngine<RecordChangeEvent<SourceRecord>> built =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(DebeziumConfiguration.of(settings, typesId, identities))
            .using(
                new DebeziumEngine.ConnectorCallback() {
                  @Override
                  public void pollingStarted() {
                    pollingStarted.countDown();
                  }
                })
            .using((success, message, error) -> onEngineStopped(success, message, error))
            .notifying(this::handleBatch)
            .build();
    engine = built;
    engineExecutor.execute(built);
    awaitPollingStarted();
    sourceMonitor.start();
    log.info(
        "Pipeline '{}' started: capturing {} from {}:{}/{} through slot '{}' and publication '{}', offsets in {}",
        settings.name(),
        settings.tables(),
        settings.source().host(),
        settings.source().port(),
        settings.source().database(),
        settings.slotName(),
        settings.publicationName(),
        settings.offsets());
  }

  private void awaitPollingStarted() {
    try {
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (!pollingStarted.await(50, TimeUnit.MILLISECONDS)) {
        Throwable failed = failure.get();
        if (failed != null) {
          throw failed instanceof RuntimeException ? (RuntimeException) failed : new SourceException(failed.getMessage(), failed);
        }
        if (System.nanoTime() > deadline) {
          throw new SourceException(
              "Pipeline '" + settings.name() + "' did not start within " + START_TIMEOUT.toSeconds() + " s");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceException("Interrupted while starting pipeline '" + settings.name() + "'", e);
    }
  }

  /** Called by the engine's polling thread with each batch of records, in capture order. */
  private void handleBatch(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> recordCommitter)
      throws InterruptedException {
    pollingThread = Thread.currentThread();
    // Debezium's thread: the pipeline's name goes into the MDC for this batch's transforms and sink.
    try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, settings.name())) {
      handleBatchInContext(records, recordCommitter);
    }
  }

  private void handleBatchInContext(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> recordCommitter)
      throws InterruptedException {
    committer = recordCommitter;
    if (stopping) {
      commitTheEndOfTheDeliveredTransaction(records);
      return; // the rest is not marked, so not committed: delivered again by the next pipeline
    }
    PreparedBatch prepared = prepare(records);
    if (prepared == null) {
      delivered.dropped();
      return; // failed: nothing from this batch on is committed
    }
    synchronized (handoff) {
      if (stopping) { // close() began while the batch was prepared
        commitTheEndOfTheDeliveredTransaction(records);
        return;
      }
      if (prepared.leadingCommitPoint != null) {
        completed(tracker.append(prepared.leadingCommitPoint, 0, 0));
        delivered.appended(false);
      }
    }
    List<ChangeEvent> events = prepared.events;
    if (events.isEmpty()
        && prepared.commitPoint == null
        && prepared.poisonHandled.isEmpty()
        && prepared.whenAcknowledged.isEmpty()
        && !prepared.endsOpen) {
      return;
    }
    if (!inFlight.acquire(events.size(), prepared.bytes, () -> stopping)) {
      delivered.dropped();
      return;
    }
    CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment;
    synchronized (handoff) {
      if (stopping) {
        inFlight.release(events.size(), prepared.bytes);
        delivered.dropped();
        return;
      }
      segment = tracker.append(prepared.commitPoint, events.size(), prepared.bytes, prepared.whenAcknowledged);
      delivered.appended(prepared.endsOpen);
    }
    if (events.isEmpty() && prepared.poisonHandled.isEmpty()) {
      completed(segment);
    } else {
      deliver(Collections.unmodifiableList(events), prepared.poisonHandled, segment);
    }
  }

  /** A batch converted and transformed, with the places where its offsets may be committed. */
  private static final class PreparedBatch {
    final List<ChangeEvent> events;
    /**
     * The last transaction end before the batch's first change: it closes a transaction of earlier
     * batches, so it gets a segment of its own and commits as soon as those batches complete.
     */
    @Nullable RecordChangeEvent<SourceRecord> leadingCommitPoint;
    /** The last commit point after the batch's first change, committed once the batch completes. */
    @Nullable RecordChangeEvent<SourceRecord> commitPoint;
    /** Whether the batch's last change is not followed by a commit point: its transaction goes on. */
    boolean endsOpen;
    /** The estimated size of {@link #events}. */
    long bytes;
    /** Events a transform failed on, skipped or dead-lettered: the batch completes once they are. */
    final List<CompletableFuture<Void>> poisonHandled = new ArrayList<>(0);
    /** What to do once the sink acknowledged this batch and every batch before it. */
    final List<Runnable> whenAcknowledged = new ArrayList<>(0);

    PreparedBatch(int capacity) {
      this.events = new ArrayList<>(capacity);
    }
  }

  /**
   * While stopping: commits the end of the transaction whose changes were all delivered, if it comes
   * before any further change. pgoutput sends it right behind its last change, often in the next batch.
   */
  private void commitTheEndOfTheDeliveredTransaction(List<RecordChangeEvent<SourceRecord>> records) {
    for (RecordChangeEvent<SourceRecord> record : records) {
      switch (converter.kindOf(record.record())) {
        case CHANGE:
          delivered.dropped();
          return;
        case TRANSACTION_END:
          if (delivered.awaitsItsEnd()) {
            completed(tracker.append(record, 0, 0));
            delivered.appended(false);
          }
          return;
        default:
          break;
      }
    }
  }

  /** Converts and transforms a batch; {@code null} if that failed (the pipeline is then failing). */
  private @Nullable PreparedBatch prepare(List<RecordChangeEvent<SourceRecord>> records) {
    PreparedBatch prepared = new PreparedBatch(records.size());
    boolean seenChange = false;
    ChangeEvent newest = null;
    for (RecordChangeEvent<SourceRecord> record : records) {
      SourceRecord sourceRecord = record.record();
      switch (converter.kindOf(sourceRecord)) {
        case CHANGE:
          seenChange = true;
          ChangeEvent captured;
          try {
            captured = converter.toChangeEvent(sourceRecord);
          } catch (RuntimeException e) {
            fail(conversionFailure(sourceRecord, e));
            return null;
          }
          boolean commitPointOnItsOwn = RecordConverter.isCommitPointOnItsOwn(captured, sourceRecord);
          if (commitPointOnItsOwn) {
            prepared.commitPoint = record;
          }
          prepared.endsOpen = !commitPointOnItsOwn;
          if (snapshots.isSignalTable(captured.table())) {
            break; // Debezium's own signals and watermarks: committed with their transaction, not delivered
          }
          if (captured.operation() == Operation.SNAPSHOT_READ && !commitPointOnItsOwn) {
            snapshots.rowRead(captured.table());
          }
          newest = captured;
          metrics.captured(captured);
          ChangeEvent transformed;
          try {
            transformed = transforms.apply(captured);
          } catch (TransformException e) {
            if (poison.stopsThePipeline()) {
              fail(e);
              return null;
            }
            prepared.poisonHandled.add(poison.handle(captured, DeadLetter.Stage.TRANSFORM, e));
            break;
          }
          if (transformed == null) {
            metrics.dropped(captured);
          } else {
            prepared.events.add(transformed);
            prepared.bytes += EventSize.estimate(transformed);
          }
          break;
        case TRANSACTION_END:
          if (seenChange) {
            prepared.commitPoint = record;
          } else {
            prepared.leadingCommitPoint = record;
          }
          prepared.endsOpen = false;
          break;
        case NOTIFICATION:
          IncrementalSnapshots.Outcome outcome = snapshots.onNotification((Struct) sourceRecord.value());
          if (outcome.failure() != null) {
            fail(outcome.failure());
            return null;
          }
          prepared.whenAcknowledged.addAll(outcome.whenAcknowledged());
          break;
        default:
          break;
      }
    }
    if (newest != null) {
      newestCapturedLsn = newest.position().lsn();
    }
    if (seenChange) {
      lastEventTime = Instant.now(); // once per batch: the clock is not free on the hot path
    }
    return prepared;
  }

  private SourceException conversionFailure(SourceRecord record, RuntimeException e) {
    // The offset says where; the exception's message could quote a row value, so only its type is named.
    String what =
        e instanceof RowConverter.ColumnConversionException
            ? e.getMessage()
            : e.getClass().getName() + " (the cause holds its message)";
    // Not the whole offset: during an incremental snapshot it holds the chunk's key values.
    Map<String, ?> offset = record.sourceOffset();
    return new SourceException(
        "Cannot convert the change of "
            + record.topic()
            + " at lsn "
            + (offset.get("lsn") instanceof Long ? Position.formatLsn((Long) offset.get("lsn")) : "?")
            + " tx "
            + offset.get("txId")
            + ", "
            + what
            + ". Please report this with the column types of the table",
        e);
  }

  /**
   * Hands the batch to the sink. When the sink reports an event undeliverable at once (see {@link
   * UndeliverableEventException}) and the policy is not FAIL, the event is skipped or dead-lettered and
   * the rest of the batch is delivered again, still before any later batch, so order is kept. The
   * segment completes once the sink and every poison event's handling have.
   */
  private void deliver(
      List<ChangeEvent> batch,
      List<CompletableFuture<Void>> poisonHandled,
      CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment) {
    List<CompletableFuture<Void>> stages = new ArrayList<>(poisonHandled);
    List<ChangeEvent> remaining = batch;
    while (!remaining.isEmpty()) {
      CompletionStage<Void> delivery = callSink(remaining);
      UndeliverableEventException undeliverable =
          poison.stopsThePipeline() ? null : undeliverableAtOnce(delivery);
      int index = undeliverable == null ? -1 : indexOf(remaining, undeliverable);
      if (index < 0) {
        stages.add(sinkDelivery(remaining, delivery));
        break;
      }
      stages.add(poison.handle(remaining.get(index), DeadLetter.Stage.SINK, undeliverable));
      List<ChangeEvent> rest = new ArrayList<>(remaining);
      rest.remove(index);
      remaining = Collections.unmodifiableList(rest);
    }
    CompletableFuture.allOf(stages.toArray(CompletableFuture[]::new))
        .whenComplete((ignored, error) -> inLoggingContext(() -> batchSettled(segment, error)));
  }

  /** Runs on whichever thread completed the batch, often the sink's. */
  private void batchSettled(CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment, @Nullable Throwable error) {
    if (error == null) {
      completed(segment);
      return;
    }
    inFlight.release(segment.events(), segment.bytes());
    Throwable cause = Completions.cause(error);
    if (stopping) {
      // closing (or already failed): the batch just stays uncommitted and is delivered again
      log.debug("Pipeline '{}': a batch failed while stopping: {}", settings.name(), cause.toString());
    } else {
      fail(cause instanceof DatisException ? (DatisException) cause : new SinkException(cause.toString(), cause));
    }
  }

  /** Runs with the pipeline's name in the MDC, leaving the MDC as it was (a sink's thread may be shared). */
  private void inLoggingContext(Runnable task) {
    String previous = MDC.get(MDC_KEY);
    MDC.put(MDC_KEY, settings.name());
    try {
      task.run();
    } finally {
      if (previous == null) {
        MDC.remove(MDC_KEY);
      } else {
        MDC.put(MDC_KEY, previous);
      }
    }
  }

  private CompletionStage<Void> callSink(List<ChangeEvent> batch) {
    try {
      CompletionStage<Void> delivery = sink.deliver(batch);
      if (delivery == null) {
        throw new IllegalStateException("deliver(...) returned null instead of a CompletionStage");
      }
      return delivery;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The sink's delivery of the batch, its failure turned into a {@link SinkException} naming the batch. */
  private CompletableFuture<Void> sinkDelivery(List<ChangeEvent> batch, CompletionStage<Void> delivery) {
    CompletableFuture<Void> delivered = new CompletableFuture<>();
    delivery.whenComplete(
        (ignored, error) -> {
          if (error == null) {
            metrics.delivered(batch);
            delivered.complete(null);
          } else {
            metrics.failed(batch);
            delivered.completeExceptionally(deliveryFailure(batch, error));
          }
        });
    return delivered;
  }

  /** The sink's {@link UndeliverableEventException}, if its stage already failed with one. */
  private static @Nullable UndeliverableEventException undeliverableAtOnce(CompletionStage<Void> delivery) {
    if (!(delivery instanceof CompletableFuture) || !((CompletableFuture<Void>) delivery).isCompletedExceptionally()) {
      return null;
    }
    Throwable error = ((CompletableFuture<Void>) delivery).handle((ignored, e) -> e).join();
    Throwable cause = Completions.cause(error);
    return cause instanceof UndeliverableEventException ? (UndeliverableEventException) cause : null;
  }

  private static int indexOf(List<ChangeEvent> batch, UndeliverableEventException undeliverable) {
    for (int i = 0; i < batch.size(); i++) {
      ChangeEvent event = batch.get(i);
      if (event.position().equals(undeliverable.position()) && event.table().equals(undeliverable.table())) {
        return i;
      }
    }
    return -1;
  }

  private void completed(CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment) {
    inFlight.release(segment.events(), segment.bytes());
    synchronized (commitLock) {
      RecordChangeEvent<SourceRecord> newest = tracker.complete(segment);
      if (newest != null && pendingCommit.getAndSet(newest) == null) {
        try {
          commitExecutor.execute(this::commitPending);
        } catch (RejectedExecutionException e) {
          log.debug("Pipeline '{}' stopped; offsets are no longer committed", settings.name());
        }
      }
    }
  }

  /** Commits the newest acknowledged transaction end; runs on the commit thread. */
  private void commitPending() {
    RecordChangeEvent<SourceRecord> point;
    // Under the lock: a batch that just completed (and let close() see the tracker drained) may still be
    // handing over its commit point.
    synchronized (commitLock) {
      point = pendingCommit.getAndSet(null);
    }
    DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> current = committer;
    if (point == null || current == null) {
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
      log.warn("Pipeline '{}' could not commit offsets; will retry with the next commit: {}", settings.name(), e.toString());
    }
  }

  private static @Nullable Long committedLsn(SourceRecord record) {
    Object lsn = record.sourceOffset().get("lsn_commit");
    if (lsn == null) {
      lsn = record.sourceOffset().get("lsn");
    }
    return lsn instanceof Long ? (Long) lsn : null;
  }

  @Override
  public Health health() {
    Throwable failed = failure.get();
    Long committed = lastCommittedLsn;
    String committedText = committed == null ? null : Position.formatLsn(committed);
    Long lag = sourceMonitor.lagBytes();
    if (failed != null) {
      return new Health(Health.Status.DOWN, List.of("failed: " + failed.getMessage()), lastEventTime, committedText, lag, null);
    }
    if (stopping || termination.isDone()) {
      return new Health(Health.Status.DOWN, List.of("closed"), lastEventTime, committedText, lag, null);
    }
    String unidentified = sourceMonitor.replicaIdentityProblem();
    if (unidentified != null) {
      // Still capturing, but the application's own updates and deletes of those tables fail.
      return new Health(Health.Status.DOWN, List.of(unidentified), lastEventTime, committedText, lag, null);
    }
    List<String> reasons = new ArrayList<>(3);
    for (SinkStatus status : List.of(sinkStatus, deadLetterStatus)) {
      String trouble = status.healthReason();
      if (trouble != null) {
        reasons.add(trouble);
      }
    }
    String slotTrouble = sourceMonitor.trouble();
    Instant slotTroubleSince = sourceMonitor.troubleSince();
    if (slotTrouble != null && slotTroubleSince != null) {
      reasons.add(slotTrouble + " (for " + secondsSince(slotTroubleSince) + " s)");
    } else if (lag != null && lag > settings.slotLagThreshold()) {
      reasons.add(
          "replication slot lag "
              + SourceMonitor.pretty(lag)
              + " (over the threshold of "
              + SourceMonitor.pretty(settings.slotLagThreshold())
              + ")");
    }
    Health.Status status = reasons.isEmpty() ? Health.Status.UP : Health.Status.DEGRADED;
    return new Health(status, reasons, lastEventTime, committedText, lag, snapshots.progress());
  }

  private @Nullable Long slotLag() {
    return sourceMonitor.lagBytes();
  }

  /** The WAL between the last committed position and the newest change captured: what is in flight. */
  private @Nullable Long inFlightWalBytes() {
    Long newest = newestCapturedLsn;
    Long committed = lastCommittedLsn;
    if (newest == null) {
      return null;
    }
    return committed == null ? null : Math.max(0, newest - committed);
  }

  private static long secondsSince(Instant since) {
    return Duration.between(since, Instant.now()).toSeconds();
  }

  private SinkException deliveryFailure(List<ChangeEvent> batch, Throwable error) {
    Throwable cause = Completions.cause(error);
    return new SinkException(
        "Sink "
            + sink.getClass().getName()
            + " failed to deliver a batch of "
            + batch.size()
            + " events (from "
            + batch.get(0).position()
            + " to "
            + batch.get(batch.size() - 1).position()
            + "): "
            + cause
            + ". Nothing from this batch on was committed: it is delivered again when the pipeline restarts",
        cause);
  }

  private void onEngineStopped(boolean success, String message, @Nullable Throwable error) {
    engineStopped = true;
    if (stopping) {
      return;
    }
    String reason = error != null && error.getMessage() != null ? error.getMessage() : message;
    fail(new SourceException("Capture from PostgreSQL stopped unexpectedly: " + reason, error));
  }

  private void fail(DatisException cause) {
    if (!failure.compareAndSet(null, cause)) {
      return;
    }
    stopping = true;
    log.error("Pipeline '{}' failed: {}", settings.name(), cause.getMessage());
    beginShutdown(false);
  }

  @Override
  public void close() {
    beginShutdown(true);
    if (Thread.currentThread() == pollingThread) {
      // Called by a transform or the sink on Debezium's thread: stopping the engine waits for this very
      // thread to return, so the pipeline stops in the background.
      return;
    }
    termination.handle((v, e) -> null).join(); // not interruptible: an interrupt must not cut the stop short
  }

  /**
   * Starts stopping everything, once, on a thread of its own: neither the caller's interrupt status nor
   * the caller being one of the pipeline's threads can cut the stop short.
   */
  private void beginShutdown(boolean graceful) {
    synchronized (lifecycle) {
      if (shutdownStarted) {
        return;
      }
      shutdownStarted = true;
    }
    named("stop").newThread(() -> shutdown(graceful)).start();
  }

  private void shutdown(boolean graceful) {
    synchronized (handoff) {
      stopping = true;
    }
    if (graceful) {
      awaitTheDeliveredTransactionsEnd();
      awaitOutstandingBatches();
    }
    runOnCommitThread(this::commitPending);
    commitExecutor.shutdown();
    sourceMonitor.close();
    closeEngine();
    PostgresTypes.unregister(typesId);
    snapshots.close();
    recordSlotAtStop();
    closeSink();
    Throwable failed = failure.get();
    if (failed == null) {
      log.info("Pipeline '{}' closed", settings.name());
      termination.complete(null);
    } else {
      termination.completeExceptionally(failed);
    }
  }

  private void awaitTheDeliveredTransactionsEnd() {
    Duration timeout =
        settings.closeTimeout().compareTo(TRANSACTION_END_TIMEOUT) < 0 ? settings.closeTimeout() : TRANSACTION_END_TIMEOUT;
    try {
      delivered.awaitEnd(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void awaitOutstandingBatches() {
    try {
      if (!tracker.awaitDrained(settings.closeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn(
            "Pipeline '{}' closed with {} batches still unacknowledged after {}; they stay uncommitted and are delivered again on restart",
            settings.name(),
            tracker.pendingBatches(),
            settings.closeTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void runOnCommitThread(Runnable task) {
    try {
      commitExecutor.submit(task).get(30, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      log.warn("Pipeline '{}' could not commit its last offsets: {}", settings.name(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeEngine() {
    DebeziumEngine<RecordChangeEvent<SourceRecord>> running = engine;
    try {
      if (running != null) {
        running.close();
      }
    } catch (Exception e) {
      if (engineStopped) {
        log.debug("Pipeline '{}': the Debezium engine had already stopped: {}", settings.name(), e.toString());
      } else {
        log.warn("Pipeline '{}': error while stopping the Debezium engine: {}", settings.name(), e.toString());
      }
    }
    try {
      engineExecutor.shutdown();
      if (!engineExecutor.awaitTermination(60, TimeUnit.SECONDS)) {
        log.warn("Pipeline '{}': the Debezium engine did not stop within 60 s", settings.name());
        engineExecutor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Where the slot stands now that the engine let go of it, for the check at the next start. */
  private void recordSlotAtStop() {
    if (engine == null) {
      return;
    }
    try {
      slotMarker.recordStop(settings.slotName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn(
          "Pipeline '{}' could not record where its replication slot stands; the next start cannot check"
              + " that it did not move meanwhile: {}",
          settings.name(),
          e.toString());
    }
  }

  private void closeSink() {
    try {
      sink.close();
    } catch (Exception e) {
      log.warn("Pipeline '{}': sink {} failed to close: {}", settings.name(), sink.getClass().getName(), e.toString());
    }
    poison.close();
  }

  @Override
  public CompletionStage<Void> snapshot(String... tables) {
    if (!isRunning()) {
      throw new IllegalStateException("Pipeline '" + settings.name() + "' is not running: start it to read tables again");
    }
    return snapshots.request(List.of(tables));
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public boolean isRunning() {
    return !stopping && !termination.isDone();
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    try {
      termination.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }

  @Override
  public CompletionStage<Void> termination() {
    return termination.minimalCompletionStage();
  }

  @Override
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure.get());
  }

  @Override
  public String toString() {
    return "Pipeline '" + settings.name() + "' " + (isRunning() ? "running" : "stopped");
  }

  /** Threads of this pipeline, with its name in their logging context (MDC). */
  private java.util.concurrent.ThreadFactory named(String role) {
    String threadName = "datis-" + settings.name() + "-" + role;
    return runnable -> {
      Thread thread = new Thread(() -> {
        MDC.put(MDC_KEY, settings.name());
        runnable.run();
      }, threadName);
      thread.setDaemon(true);
      return thread;
    };
  }
}
