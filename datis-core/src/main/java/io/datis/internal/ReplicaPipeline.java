package io.datis.internal;

import io.datis.Health;
import io.datis.Pipeline;
import io.datis.api.DatisException;
import io.datis.api.SourceException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline of one replica of a service, among others that run the same pipeline: active while
 * it holds the pipeline's {@link PipelineLock}, a standby otherwise. A standby tries for the lock
 * every {@link #STANDBY_POLL}; once it has it, it waits out the previous holder's {@link Lease} (so
 * that one has stopped delivering), hands the slot over ({@link SlotHandover}) and starts a {@link
 * DatisPipeline} run. An active instance whose lock is lost is fenced: the run stops at once,
 * without delivering or committing more, and the instance becomes a standby again (or fails, when
 * standby is off). Standbys in a process that already holds other pipelines' locks try less often
 * ({@link #SPREADING_POLLS}), which spreads active pipelines over the replicas.
 */
public final class ReplicaPipeline implements Pipeline {

  private static final Logger log = LoggerFactory.getLogger(ReplicaPipeline.class);

  /** How often a standby tries to take the lock. */
  static final Duration STANDBY_POLL = Duration.ofSeconds(1);

  /**
   * Most pipeline locks held by this process that make its standbys wait longer: a process that
   * holds k locks waits k more polls (at most this many) before it tries for another, so that a
   * process with fewer active pipelines usually takes a freed one first.
   */
  static final int SPREADING_POLLS = 3;

  /**
   * How long an instance that was fenced waits before it tries for the lock again, so that another
   * standby, whose connection did not just fail, takes over first if there is one.
   */
  static final Duration FENCED_BACKOFF = STANDBY_POLL;

  private final PipelineSettings settings;
  private final PipelineLock lock;
  private final Termination termination = new Termination();
  private final Object state = new Object();

  // guarded by state
  private @Nullable DatisPipeline run;
  private @Nullable DatisPipeline lastRun;
  private @Nullable PipelineLockWatch watch;
  private @Nullable Thread standbyThread;
  private boolean closing;

  /** Who held the lock when the standby last looked, and what troubles it. */
  private volatile @Nullable String holder;

  private volatile @Nullable String standbyTrouble;

  /** Set while this instance holds the lock and waits out the previous holder's lease. */
  private volatile boolean takingOver;

  private final RoleReport roles;
  private final TroubleLog troubles =
      new TroubleLog(log, "further failures are logged at DEBUG until PostgreSQL answers again");

  private ReplicaPipeline(PipelineSettings settings) {
    this.settings = settings;
    this.lock = new PipelineLock(settings.source(), settings.name(), settings.slotName());
    this.roles = new RoleReport(settings);
  }

  /**
   * Starts the pipeline: active at once when nobody holds its lock, otherwise a standby (or, with
   * standby off, a {@link SourceException} naming the active instance).
   */
  public static Pipeline start(PipelineSettings settings) {
    ReplicaPipeline pipeline = new ReplicaPipeline(settings);
    boolean acquired;
    try {
      acquired = pipeline.lock.tryAcquire();
    } catch (SQLException e) {
      throw SourceConnections.cannotConnect(settings.source(), e);
    }
    if (acquired) {
      try {
        pipeline.activate(false);
      } catch (RuntimeException e) {
        pipeline.lock.release();
        pipeline.roles.close();
        throw e;
      }
      return pipeline;
    }
    String holder = pipeline.lock.holder();
    if (!settings.standby()) {
      pipeline.lock.release();
      pipeline.roles.close();
      throw pipeline.activeElsewhere(holder);
    }
    pipeline.holder = holder;
    log.info(
        "Pipeline '{}' starts as a standby: it is active in {}; this instance takes over when that one stops",
        settings.name(),
        holder == null ? "another instance" : holder);
    if (settings.offsets().table().isEmpty()) {
      log.warn(
          "Pipeline '{}' keeps its offsets in {}, which other replicas do not see unless they share it: a"
              + " replica that takes over then starts from the slot's confirmed position (changes may come"
              + " twice, and SnapshotMode.INITIAL reads the tables again), or fails if its own offsets are"
              + " older than the slot. Use OffsetStore.postgres() for replicas",
          settings.name(),
          settings.offsets());
    }
    pipeline.startStandby(Duration.ZERO);
    return pipeline;
  }

  /** Standby is off and another instance holds the lock: names the reader of the slot, or it. */
  private SourceException activeElsewhere(@Nullable String holder) {
    Integer reader = null;
    try (Connection connection = SourceConnections.open(settings.source(), settings.name())) {
      reader = ReplicationSlots.activePid(connection, settings.slotName());
    } catch (SQLException e) {
      // the holder is named instead
    }
    if (reader != null) {
      return new SourceException(ReplicationSlots.inUse(settings.slotName(), reader));
    }
    return new SourceException(
        "Pipeline '"
            + settings.name()
            + "' is already active in another instance"
            + (holder == null ? "" : ", " + holder)
            + ", which holds its lock on replication slot '"
            + settings.slotName()
            + "'. Fix: stop that instance first, or leave standby on (the default) so that this one"
            + " waits and takes over when that one stops");
  }

  /**
   * Starts a run while holding the lock: waits out the previous holder's lease first if another
   * instance held the lock, so that it has stopped delivering by then, and lets {@link
   * SlotHandover} make sure of it on a fresh start too.
   */
  private void activate(boolean tookOver) {
    holder = null; // this instance holds the lock now
    SlotHandover handover =
        new SlotHandover(
            settings, new SlotMarker(settings.offsets(), settings.source(), settings.name()));
    DatisPipeline previous;
    synchronized (state) {
      previous = lastRun;
    }
    if (tookOver && handover.previousRunStoppedCleanlyForAll()) {
      log.info(
          "Pipeline '{}' took its lock over from an instance that stopped cleanly; starting at once",
          settings.name());
    } else if (tookOver
        && previous != null
        && handover.lastRunForAllWas(previous.markerInstance())) {
      log.info(
          "Pipeline '{}' took its lock back: its own last run, which has stopped, was the last active;"
              + " starting at once",
          settings.name());
    } else if (tookOver) {
      log.info(
          "Pipeline '{}' took its lock over; waiting {} for the previous holder to stop delivering",
          settings.name(),
          Lease.DURATION);
      takingOver = true;
      try {
        if (!sleep(Lease.DURATION)) {
          return;
        }
      } finally {
        takingOver = false;
      }
    }
    long confirmedAt = System.nanoTime();
    boolean held;
    try {
      held = lock.isHeld();
    } catch (SQLException e) {
      held = false;
    }
    if (!held) {
      if (tookOver) {
        lock.release();
        return; // lost it while waiting: the standby loop tries again
      }
      throw new SourceException(
          "Pipeline '" + settings.name() + "' lost its lock on PostgreSQL while starting");
    }
    Lease lease = Lease.grantedAt(confirmedAt);
    PipelineLockWatch lockWatch =
        new PipelineLockWatch(
            lock, lease, this::lockLost, LoggingContext.threads(settings.name(), "lock"));
    lockWatch.start();
    DatisPipeline started;
    try {
      handover.prepare(tookOver);
      roles.change(Health.Role.ACTIVE); // before the run can hand anything to the sink
      started = DatisPipeline.start(settings, lease);
    } catch (RuntimeException e) {
      lockWatch.close();
      throw e;
    }
    boolean closeNow;
    synchronized (state) {
      watch = lockWatch;
      run = started;
      closeNow = closing; // close() came while the run started: it waits for this run to end
    }
    started.termination().whenComplete((ignored, error) -> runEnded(started));
    if (closeNow) {
      started.close();
    }
  }

  /**
   * The lock watch saw the lock lost: fence the run (on a thread of its own, never the watch's).
   */
  private void lockLost(String reason) {
    DatisPipeline current;
    synchronized (state) {
      current = run;
    }
    if (current != null) {
      current.fence(reason);
    }
  }

  /** A run ended: closed, failed, or fenced. */
  private void runEnded(DatisPipeline ended) {
    PipelineLockWatch endedWatch;
    boolean closed;
    synchronized (state) {
      if (run != ended) {
        return;
      }
      run = null;
      lastRun = ended;
      endedWatch = watch;
      watch = null;
      closed = closing;
    }
    if (endedWatch != null) {
      endedWatch.close();
    }
    lock.release(); // after the run stopped: a standby starts from what it committed
    String fenced = ended.fencedBecause();
    Throwable runFailure = ended.failure().orElse(null);
    if (closed) {
      finish(runFailure instanceof DatisException ? (DatisException) runFailure : null);
    } else if (fenced != null && settings.standby()) {
      roles.change(Health.Role.STANDBY);
      startStandby(FENCED_BACKOFF);
    } else if (fenced != null) {
      finish(
          new SourceException(
              "Pipeline '"
                  + settings.name()
                  + "' lost its lock on PostgreSQL ("
                  + fenced
                  + ") and stopped, since standby is off: another instance may be active now"));
    } else if (runFailure instanceof DatisException) {
      finish((DatisException) runFailure);
    } else {
      finish(null);
    }
  }

  private void startStandby(Duration firstWait) {
    Thread thread =
        LoggingContext.threads(settings.name(), "standby")
            .newThread(() -> standByUntilActive(firstWait));
    synchronized (state) {
      if (closing) {
        return;
      }
      standbyThread = thread;
    }
    thread.start();
  }

  /**
   * The standby's loop: tries for the lock until it has it, or the pipeline is closed.
   *
   * @param firstWait how long to wait before the first try
   */
  private void standByUntilActive(Duration firstWait) {
    if (!firstWait.isZero() && !sleep(firstWait)) {
      return;
    }
    while (!isClosing()) {
      int heldHere = Math.min(PipelineLock.heldInThisProcess(), SPREADING_POLLS);
      if (heldHere > 0 && !sleep(STANDBY_POLL.multipliedBy(heldHere))) {
        return;
      }
      try {
        if (lock.tryAcquire()) {
          standbyTrouble = null;
          try {
            activate(true);
          } catch (RuntimeException e) {
            lock.release();
            fail(
                e instanceof DatisException
                    ? (DatisException) e
                    : new SourceException(
                        "Pipeline '" + settings.name() + "' could not take over: " + e, e));
            return;
          }
          if (isActive() || isClosing()) {
            return;
          }
        } else {
          holder = lock.holder();
          standbyTrouble = null;
        }
        troubles.over(
            "unreachable", "Pipeline '{}' standby reaches PostgreSQL again", settings.name());
      } catch (SQLException e) {
        lock.release();
        standbyTrouble = "cannot reach PostgreSQL to watch the active instance: " + e.getMessage();
        troubles.occurred(
            "unreachable",
            "Pipeline '{}' is a standby that cannot take over: {}",
            settings.name(),
            standbyTrouble);
      }
      if (!sleep(STANDBY_POLL)) {
        return;
      }
    }
  }

  private boolean isClosing() {
    synchronized (state) {
      return closing;
    }
  }

  private boolean isActive() {
    synchronized (state) {
      return run != null;
    }
  }

  /** Sleeps; {@code false} if the pipeline was closed meanwhile (close interrupts the standby). */
  private boolean sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      return false;
    }
    return !isClosing();
  }

  private void fail(DatisException cause) {
    log.error("Pipeline '{}' failed: {}", settings.name(), cause.getMessage());
    finish(cause);
  }

  private void finish(@Nullable DatisException cause) {
    synchronized (state) {
      closing = true;
    }
    lock.release();
    roles.close();
    if (cause != null) {
      termination.recordFailure(cause);
    }
    termination.complete();
  }

  @Override
  public void close() {
    DatisPipeline current;
    Thread standby;
    synchronized (state) {
      closing = true;
      current = run;
      standby = standbyThread;
    }
    if (current != null) {
      current.close(); // its end releases the lock and completes termination
      if (current.calledFromItsOwnThread()) {
        return;
      }
      termination.awaitUninterruptibly();
      return;
    }
    if (standby != null) {
      standby.interrupt();
      try {
        standby.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (state) {
      if (run != null) {
        return; // became active meanwhile: that run's end completes termination
      }
    }
    if (!termination.isDone()) {
      log.info("Pipeline '{}' closed (it was a standby)", settings.name());
    }
    finish(null);
  }

  @Override
  public Health health() {
    DatisPipeline current;
    DatisPipeline last;
    synchronized (state) {
      current = run;
      last = lastRun;
    }
    return ReplicaHealth.of(
        settings,
        new ReplicaHealth.State(
            current,
            last,
            roles.role(),
            roles.since(),
            termination.failure(),
            termination.isDone(),
            takingOver,
            holder,
            standbyTrouble));
  }

  @Override
  public CompletionStage<Void> snapshot(String... tables) {
    DatisPipeline current;
    synchronized (state) {
      current = run;
    }
    if (current == null) {
      throw new IllegalStateException(
          "Pipeline '"
              + settings.name()
              + "' is "
              + (isRunning()
                  ? "a standby: ask the active instance to read tables again"
                  : "not running: start it to read tables again"));
    }
    return current.snapshot(tables);
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public boolean isRunning() {
    return !termination.isDone() && !isClosing();
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
    Health.Role current = roles.role();
    return "Pipeline '"
        + settings.name()
        + "' "
        + (isRunning() ? current.name().toLowerCase(java.util.Locale.ROOT) : "stopped");
  }
}
