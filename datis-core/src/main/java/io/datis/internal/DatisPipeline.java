package io.datis.internal;

import io.datis.Health;
import io.datis.Pipeline;
import io.datis.api.DatisException;
import io.datis.api.SinkException;
import io.datis.api.SourceException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The running pipeline, and its lifecycle. One batch's walk: the Debezium async engine hands a batch of
 * records to {@link #handleBatch}; {@link BatchPreparation} converts and transforms it into a {@link
 * PreparedBatch} with its commit points; {@link InFlightLimit} waits for room (so a slow sink pauses
 * capture); {@link OffsetCommitter} takes the batch in capture order; {@link SinkDispatch} hands it to the
 * sink; when the sink completes it, the committer commits the newest transaction end of the contiguous
 * completed prefix. This class starts the engine, stops it ({@link #close()} waits for outstanding batches
 * and the end of a delivered transaction), and reports health.
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
  private final OffsetCommitter offsets;
  private final DeliveredTransaction delivered = new DeliveredTransaction();
  private final InFlightLimit inFlight;
  private final ExecutorService engineExecutor;
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
  /** Debezium's thread that calls {@link #handleBatch}: a close() from it must not wait for the engine. */
  private volatile @Nullable Thread pollingThread;
  /** Set once the engine has stopped by itself or been stopped: closing it again is refused, harmlessly. */
  private volatile boolean engineStopped;
  /** Set once closing or failing: capture no more, deliver no more. */
  private volatile boolean stopping;
  private volatile @Nullable Instant lastEventTime;
  private volatile @Nullable Long newestCapturedLsn;
  private final PipelineMetrics metrics;
  private final PoisonEvents poison;
  private final SinkDispatch dispatch;
  private final BatchPreparation preparation;
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
    this.offsets = new OffsetCommitter(settings.name(), named("commit"));
    this.metrics =
        PipelineMetrics.of(
            settings.meterRegistry(),
            settings.name(),
            inFlight::events,
            inFlight::bytes,
            () -> offsets.lastCommitTime(),
            this::slotLag,
            this::inFlightWalBytes);
    this.poison = new PoisonEvents(settings.name(), settings.errorPolicy(), metrics);
    this.dispatch = new SinkDispatch(sink, poison, metrics);
    this.preparation = new BatchPreparation(converter, transforms, poison, metrics, snapshots);
    metrics.snapshotProgress(snapshots::remainingTables);
    this.sourceMonitor =
        new SourceMonitor(settings, new ReplicaIdentityCheck(settings, tables.serverVersion()), named("source-monitor"));
    String database = settings.source().database();
    this.sinkStatus = new SinkStatus(settings.name(), database, "sink", metrics::sinkRetried);
    this.deadLetterStatus = new SinkStatus(settings.name(), database, "dead-letter sink", metrics::sinkRetried);
    this.typesId = new PostgresTypes(settings.source(), settings.name()).register();
    this.engineExecutor = Executors.newSingleThreadExecutor(named("engine"));

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
    offsets.useCommitter(recordCommitter);
    if (stopping) {
      commitTheEndOfTheDeliveredTransaction(records);
      return; // the rest is not marked, so not committed: delivered again by the next pipeline
    }
    PreparedBatch prepared = preparation.prepare(records);
    if (prepared.failure != null) {
      fail(prepared.failure);
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
      if (stopping) { // close() began while the batch was prepared
        commitTheEndOfTheDeliveredTransaction(records);
        return;
      }
      if (prepared.leadingCommitPoint != null) {
        completed(offsets.append(prepared.leadingCommitPoint, 0, 0, List.of()));
        delivered.appended(false);
      }
    }
    List<ChangeEvent> events = prepared.events;
    if (prepared.isEmpty()) {
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
      segment = offsets.append(prepared.commitPoint, events.size(), prepared.bytes, prepared.whenAcknowledged);
      delivered.appended(prepared.endsOpen);
    }
    if (events.isEmpty() && prepared.poisonHandled.isEmpty()) {
      completed(segment);
    } else {
      deliver(Collections.unmodifiableList(events), prepared.poisonHandled, segment);
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
            completed(offsets.append(record, 0, 0, List.of()));
            delivered.appended(false);
          }
          return;
        default:
          break;
      }
    }
  }

  /** Hands the batch to the sink; the segment completes once the sink and every poison event's handling have. */
  private void deliver(
      List<ChangeEvent> batch,
      List<CompletableFuture<Void>> poisonHandled,
      CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment) {
    dispatch
        .deliver(batch, poisonHandled)
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

  private void completed(CommitTracker.Segment<RecordChangeEvent<SourceRecord>> segment) {
    inFlight.release(segment.events(), segment.bytes());
    offsets.completed(segment);
  }

  @Override
  public Health health() {
    Throwable failed = failure.get();
    Long committed = offsets.lastCommittedLsn();
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
    Long committed = offsets.lastCommittedLsn();
    if (newest == null) {
      return null;
    }
    return committed == null ? null : Math.max(0, newest - committed);
  }

  private static long secondsSince(Instant since) {
    return Duration.between(since, Instant.now()).toSeconds();
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
    offsets.commitAndStop();
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
      if (!offsets.awaitDrained(settings.closeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn(
            "Pipeline '{}' closed with {} batches still unacknowledged after {}; they stay uncommitted and are delivered again on restart",
            settings.name(),
            offsets.pendingBatches(),
            settings.closeTimeout());
      }
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
