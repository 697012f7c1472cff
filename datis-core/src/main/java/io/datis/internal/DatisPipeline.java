package io.datis.internal;

import io.datis.Health;
import io.datis.Pipeline;
import io.datis.api.DatisException;
import io.datis.api.SinkException;
import io.datis.api.SourceException;
import io.datis.api.event.TableId;
import io.datis.api.sink.Sink;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a pipeline as the active instance: it wires the parts, starts them, and stops them
 * once, gracefully on {@link #close()}, at once on a failure or when {@link #fence fenced}. {@link
 * ReplicaPipeline} makes one run each time its instance becomes active.
 *
 * <p>One batch's walk: the Debezium engine ({@link CaptureEngine}) hands each batch of records to
 * {@link BatchHandler}; {@link BatchPreparation} converts and transforms it into a {@link
 * PreparedBatch} with its commit points; {@link InFlightLimit} waits for room (so a slow sink
 * pauses capture); {@link OffsetCommitter} appends the batch in capture order; {@link SinkDispatch}
 * hands it to the sink; when the sink completes it, the committer commits the newest transaction
 * end of the contiguous completed prefix. {@link HealthReport} tells how it goes.
 */
final class DatisPipeline implements Pipeline {

  private static final Logger log = LoggerFactory.getLogger(DatisPipeline.class);

  /**
   * How long {@code close()} waits, at most, for the end of a transaction whose changes were all
   * delivered.
   */
  private static final Duration TRANSACTION_END_TIMEOUT = Duration.ofSeconds(5);

  private final PipelineSettings settings;
  private final Sink sink;
  private final OffsetCommitter offsets;
  private final PoisonEvents poison;
  private final BatchHandler batches;
  private final CaptureEngine engine;
  private final SourceMonitor sourceMonitor;
  private final IncrementalSnapshots snapshots;
  private final HealthReport healthReport;
  private final SlotMarker slotMarker;
  private final SinkStatus sinkStatus;
  private final SinkStatus deadLetterStatus;
  private final Map<TableId, ReplicaIdentity> identities;
  private final Lease lease;
  private final PipelineMetrics metrics;
  private volatile @Nullable String fencedBecause;

  /**
   * The id under which the pipeline's data types are registered for Debezium's column converter.
   */
  private final String typesId;

  private final Termination termination = new Termination();
  private final Object lifecycle = new Object();
  private boolean shutdownStarted;

  private DatisPipeline(
      PipelineSettings settings, CapturedTables tables, SlotMarker marker, Lease lease) {
    this.settings = settings;
    this.lease = lease;
    this.slotMarker = marker;
    this.sink = settings.sink();
    this.identities = tables.eventIdentities();
    RecordConverter converter =
        new RecordConverter(DebeziumConfiguration.topicPrefix(settings), identities);
    this.snapshots = new IncrementalSnapshots(settings, identities);
    InFlightLimit inFlight =
        new InFlightLimit(settings.maxInFlightEvents(), settings.maxInFlightBytes());
    this.offsets = new OffsetCommitter(settings.name(), threads("commit"), lease);
    this.sourceMonitor =
        new SourceMonitor(
            settings,
            new ReplicaIdentityCheck(settings, tables.serverVersion()),
            this::recordReader,
            threads("source-monitor"));
    this.metrics =
        PipelineMetrics.of(
            settings.meterRegistry(),
            settings.name(),
            inFlight::events,
            inFlight::bytes,
            offsets::lastCommitTime,
            sourceMonitor::lagBytes,
            this::inFlightWalBytes);
    metrics.snapshotProgress(snapshots::remainingTables);
    this.poison = new PoisonEvents(settings.name(), settings.errorPolicy(), metrics);
    this.batches =
        new BatchHandler(
            settings.name(),
            converter,
            new BatchPreparation(
                converter, new TransformChain(settings.transforms()), poison, metrics, snapshots),
            inFlight,
            offsets,
            new SinkDispatch(sink, poison, metrics, settings.tracing()),
            this::fail,
            lease,
            () -> fence("its lease ran out before the lock could be confirmed again"));
    String database = settings.source().database();
    this.sinkStatus = new SinkStatus(settings.name(), database, "sink", metrics::sinkRetried);
    this.deadLetterStatus =
        new SinkStatus(settings.name(), database, "dead-letter sink", metrics::sinkRetried);
    this.healthReport =
        new HealthReport(
            settings.slotLagThreshold(),
            offsets,
            sourceMonitor,
            List.of(sinkStatus, deadLetterStatus),
            snapshots::progress);
    this.typesId = new PostgresTypes(settings.source(), settings.name()).register();
    this.engine = new CaptureEngine(settings.name(), threads("engine"));
  }

  /**
   * Checks the database, opens the sink and starts the engine; returns once the engine is polling.
   *
   * @param lease while it holds, the run may deliver and commit
   */
  static DatisPipeline start(PipelineSettings settings, Lease lease) {
    SlotMarker marker = new SlotMarker(settings.offsets(), settings.source(), settings.name());
    CapturedTables tables = new PostgresPreflight(settings, marker).run();
    DatisPipeline pipeline = new DatisPipeline(settings, tables, marker, lease);
    try {
      pipeline.launch();
    } catch (RuntimeException e) {
      pipeline.beginShutdown(false);
      pipeline.termination.awaitUninterruptibly();
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
    engine.start(
        DebeziumConfiguration.of(settings, typesId, identities),
        batches,
        this::engineStopped,
        termination::failure);
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

  /**
   * The WAL between the last committed position and the newest change captured: what is in flight.
   */
  private @Nullable Long inFlightWalBytes() {
    Long newest = batches.newestCapturedLsn();
    Long committed = offsets.lastCommittedLsn();
    if (newest == null || committed == null) {
      return null;
    }
    return Math.max(0, newest - committed);
  }

  private void engineStopped(String message, @Nullable Throwable error) {
    if (batches.isStopping()) {
      return;
    }
    String reason = error != null && error.getMessage() != null ? error.getMessage() : message;
    fail(new SourceException("Capture from PostgreSQL stopped unexpectedly: " + reason, error));
  }

  private void fail(DatisException cause) {
    if (!termination.recordFailure(cause)) {
      return;
    }
    batches.stop();
    log.error("Pipeline '{}' failed: {}", settings.name(), cause.getMessage());
    beginShutdown(false);
  }

  /**
   * Stops at once, without delivering or committing anything more: this instance may no longer be
   * the active one. The run then terminates normally; {@link #fencedBecause()} says why it stopped.
   */
  void fence(String reason) {
    lease.revoke();
    synchronized (lifecycle) {
      if (shutdownStarted || termination.failure() != null) {
        return;
      }
      fencedBecause = reason;
    }
    batches.stop();
    log.warn(
        "Pipeline '{}' lost its lock on PostgreSQL ({}): it stops delivering and committing at once",
        settings.name(),
        reason);
    beginShutdown(false);
  }

  /** Tells this run's marks next to the offsets from another run's ({@link SlotMarker}). */
  String markerInstance() {
    return slotMarker.instance();
  }

  /** Why the run was fenced, or {@code null} if it was not. */
  @Nullable String fencedBecause() {
    return fencedBecause;
  }

  /** Whether the caller runs on Debezium's thread of this run (a transform or the sink). */
  boolean calledFromItsOwnThread() {
    return batches.isPollingThread(Thread.currentThread());
  }

  @Override
  public void close() {
    beginShutdown(true);
    if (batches.isPollingThread(Thread.currentThread())) {
      // Called by a transform or the sink on Debezium's thread: stopping the engine waits for this
      // very
      // thread to return, so the pipeline stops in the background.
      return;
    }
    termination
        .awaitUninterruptibly(); // not interruptible: an interrupt must not cut the stop short //
    // not interruptible: an interrupt must not cut the stop short
  }

  /**
   * Starts stopping everything, once, on a thread of its own: neither the caller's interrupt status
   * nor the caller being one of the pipeline's threads can cut the stop short.
   */
  private void beginShutdown(boolean graceful) {
    synchronized (lifecycle) {
      if (shutdownStarted) {
        return;
      }
      shutdownStarted = true;
    }
    threads("stop").newThread(() -> shutdown(graceful)).start();
  }

  private void shutdown(boolean graceful) {
    batches.stop();
    if (graceful) {
      awaitTheDeliveredTransactionsEnd();
      awaitOutstandingBatches();
    }
    offsets.commitAndStop();
    sourceMonitor.close();
    engine.close();
    PostgresTypes.unregister(typesId);
    snapshots.close();
    if (lease.holds()) { // a fenced run must not overwrite what the active one records
      recordSlotAtStop();
    }
    closeSink();
    metrics.close();
    if (termination.failure() == null) {
      if (fencedBecause == null) {
        log.info("Pipeline '{}' closed", settings.name());
      } else {
        log.info("Pipeline '{}' stopped after losing its lock", settings.name());
      }
    }
    termination.complete();
  }

  private void awaitTheDeliveredTransactionsEnd() {
    Duration timeout =
        settings.closeTimeout().compareTo(TRANSACTION_END_TIMEOUT) < 0
            ? settings.closeTimeout()
            : TRANSACTION_END_TIMEOUT;
    try {
      batches.awaitTheDeliveredTransactionsEnd(timeout.toMillis());
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

  /**
   * Records the replication connection reading the slot for this run, so that the next active
   * instance may terminate it if this process is cut off or paused with it open; only while the
   * lease holds (a fenced run must not overwrite what the next active instance recorded).
   */
  private void recordReader(SlotMarker.Reader reader) {
    if (!lease.holds()) {
      return;
    }
    try {
      slotMarker.readBy(reader);
    } catch (Exception e) {
      log.warn(
          "Pipeline '{}' could not record its replication connection (PID {}); should this process be"
              + " cut off, the next active instance waits for PostgreSQL to end it: {}",
          settings.name(),
          reader.pid(),
          e.toString());
    }
  }

  /** Where the slot stands now that the engine let go of it, for the check at the next start. */
  private void recordSlotAtStop() {
    if (!engine.wasStarted()) {
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
      log.warn(
          "Pipeline '{}': sink {} failed to close: {}",
          settings.name(),
          sink.getClass().getName(),
          e.toString());
    }
    poison.close();
  }

  @Override
  public Health health() {
    return report();
  }

  HealthSnapshot report() {
    return healthReport.of(
        termination.failure(),
        batches.isStopping() || termination.isDone(),
        batches.lastEventTime());
  }

  @Override
  public CompletionStage<Void> snapshot(String... tables) {
    if (!isRunning()) {
      throw new IllegalStateException(
          "Pipeline '" + settings.name() + "' is not running: start it to read tables again");
    }
    return snapshots.request(List.of(tables));
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public boolean isRunning() {
    return !batches.isStopping() && !termination.isDone();
  }

  @Override
  public void awaitTermination() throws InterruptedException {
    termination.await();
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return termination.await(timeout);
  }

  @Override
  public CompletionStage<Void> termination() {
    return termination.stage();
  }

  @Override
  public Optional<Throwable> failure() {
    return termination.failureIfAny();
  }

  @Override
  public String toString() {
    return "Pipeline '" + settings.name() + "' " + (isRunning() ? "running" : "stopped");
  }

  private ThreadFactory threads(String role) {
    return LoggingContext.threads(settings.name(), role);
  }
}
