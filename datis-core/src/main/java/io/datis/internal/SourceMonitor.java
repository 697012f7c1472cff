package io.datis.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the captured database every few seconds, on a connection of its own: reads the
 * replication slot's lag (how much WAL PostgreSQL keeps for the pipeline, from {@code
 * pg_replication_slots}), notices when the database cannot be reached or the slot is gone, has the
 * {@link ReplicaIdentityCheck} run, and reports each new replication connection reading the slot
 * (which the pipeline records in its {@link SlotMarker}). Feeds the pipeline's health and its
 * slot-lag gauge.
 */
final class SourceMonitor implements AutoCloseable {

  static final Duration INTERVAL = Duration.ofSeconds(5);

  /**
   * How often the slot is checked until the engine reads it, so that health turns UP promptly; for
   * {@link #STARTING_CHECKS_FOR} at most (a long initial snapshot needs no such haste).
   */
  static final Duration STARTING_INTERVAL = Duration.ofMillis(250);

  static final Duration STARTING_CHECKS_FOR = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(SourceMonitor.class);

  private static final String LAG =
      "SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
          + " ELSE pg_current_wal_lsn() END, confirmed_flush_lsn)::bigint, active, active_pid,"
          + " (SELECT backend_start::text FROM pg_stat_activity WHERE pid = active_pid)"
          + " FROM pg_replication_slots WHERE slot_name = ?";

  private final PipelineSettings settings;
  private final ReplicaIdentityCheck replicaIdentities;
  private final Consumer<SlotMarker.Reader> readerSeen;
  private final ScheduledExecutorService scheduler;
  private SlotMarker.@Nullable Reader lastReader;
  private @Nullable Connection connection;
  private volatile @Nullable Long lagBytes;
  private volatile @Nullable String trouble;
  private volatile @Nullable Instant troubleSince;
  private volatile Instant startedAt = Instant.now();

  /** Once the engine has read the slot, a slot nobody reads means capture is reconnecting. */
  private volatile boolean seenActive;

  private final TroubleLog troubles =
      new TroubleLog(
          log,
          "checked again every "
              + INTERVAL.toSeconds()
              + " s; further failures are logged at DEBUG");

  /**
   * @param readerSeen told of each new replication connection seen reading the slot
   * @param threads makes the monitor's thread, named and with the pipeline in its logging context
   */
  SourceMonitor(
      PipelineSettings settings,
      ReplicaIdentityCheck replicaIdentities,
      Consumer<SlotMarker.Reader> readerSeen,
      ThreadFactory threads) {
    this.settings = settings;
    this.replicaIdentities = replicaIdentities;
    this.readerSeen = readerSeen;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(threads);
  }

  void start() {
    startedAt = Instant.now();
    scheduler.schedule(this::checkAndReschedule, 0, TimeUnit.MILLISECONDS);
  }

  /** Whether the engine has read the replication slot since the pipeline started. */
  boolean slotReadSinceStart() {
    return seenActive;
  }

  Instant startedAt() {
    return startedAt;
  }

  String slotName() {
    return settings.slotName();
  }

  private void checkAndReschedule() {
    try {
      check();
    } finally {
      boolean starting = !seenActive && Instant.now().isBefore(startedAt.plus(STARTING_CHECKS_FOR));
      Duration next = starting ? STARTING_INTERVAL : INTERVAL;
      if (!scheduler.isShutdown()) {
        try {
          scheduler.schedule(this::checkAndReschedule, next.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
          // close() shut the scheduler down meanwhile
        }
      }
    }
  }

  /** Bytes of WAL the slot holds back, as last read; {@code null} before the first reading. */
  @Nullable Long lagBytes() {
    return lagBytes;
  }

  /**
   * Why the slot cannot be read, for example the database is unreachable; {@code null} if it can.
   */
  @Nullable String trouble() {
    return trouble;
  }

  /** Which captured tables lost their replica identity, with the fix; {@code null} if none did. */
  @Nullable String replicaIdentityProblem() {
    return replicaIdentities.problem();
  }

  /** Since when {@link #trouble()} has been the case. */
  @Nullable Instant troubleSince() {
    return troubleSince;
  }

  private void check() {
    Connection open = connection;
    try {
      if (open == null || open.isClosed()) {
        open = SourceConnections.open(settings.source(), settings.name());
        connection = open;
      }
      try (PreparedStatement statement = open.prepareStatement(LAG)) {
        statement.setQueryTimeout((int) INTERVAL.toSeconds());
        statement.setString(1, settings.slotName());
        try (ResultSet row = statement.executeQuery()) {
          if (!row.next()) {
            troubled("replication slot '" + settings.slotName() + "' no longer exists");
          } else {
            lagBytes = row.getLong(1);
            boolean active = row.getBoolean(2);
            if (active) {
              seenActive = true;
              noteReader(row.getInt(3), row.getString(4));
            }
            if (!active && seenActive) {
              // Between a lost connection and the engine's reconnect: nothing is captured
              // meanwhile.
              troubled(
                  "replication slot '"
                      + settings.slotName()
                      + "' is not being read: capture is reconnecting");
            } else {
              recovered();
            }
          }
        }
      }
    } catch (SQLException | RuntimeException e) {
      closeConnection();
      troubled("cannot read the replication slot: " + e.getMessage());
      return;
    }
    try {
      replicaIdentities.check(open);
    } catch (SQLException | RuntimeException e) {
      closeConnection();
      troubled("cannot read the captured tables' replica identity: " + e.getMessage());
    }
  }

  private void noteReader(int pid, @Nullable String backendStart) {
    if (backendStart == null) {
      return;
    }
    SlotMarker.Reader reader = new SlotMarker.Reader(pid, backendStart);
    if (!reader.equals(lastReader)) {
      lastReader = reader;
      readerSeen.accept(reader);
    }
  }

  private void troubled(String reason) {
    if (trouble == null) {
      troubleSince = Instant.now();
    }
    trouble = reason;
    troubles.occurred("source", "Pipeline '{}': {}", settings.name(), reason);
  }

  private void recovered() {
    trouble = null;
    troubleSince = null;
    troubles.over(
        "source", "Pipeline '{}': the replication slot can be read again", settings.name());
  }

  private void closeConnection() {
    Connection open = connection;
    connection = null;
    if (open != null) {
      try {
        open.close();
      } catch (SQLException e) {
        log.debug(
            "Pipeline '{}': closing the slot monitor's connection: {}",
            settings.name(),
            e.toString());
      }
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(INTERVAL.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeConnection();
  }

  /** A size as PostgreSQL's pg_size_pretty writes it, with one decimal: {@code 2.1 GB}. */
  static String pretty(long bytes) {
    String[] units = {"bytes", "kB", "MB", "GB", "TB"};
    double value = bytes;
    int unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit == 0 ? bytes + " bytes" : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
