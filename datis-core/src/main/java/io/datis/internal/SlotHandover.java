package io.datis.internal;

import io.datis.api.SourceException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure that no previous active instance can still deliver when this one starts, and frees the
 * slot for it. The lock alone does not say so on a fresh start: the previous holder's lock
 * connection may have ended (terminated, or dropped by the server) while that instance lives on
 * with batches in hand for up to a {@link Lease}.
 *
 * <ul>
 *   <li>A replication connection still reading the slot is terminated at once if it is the one a
 *       previous run of this pipeline recorded in the {@link SlotMarker} (same PID, same backend
 *       start); any other reader is given {@link ReplicationSlots#RELEASE_WAIT} to go, and then
 *       stays, and the start fails on it as it would without replicas. (Debezium names its
 *       replication connections itself, so the application name cannot tell.)
 *   <li>On a fresh start (not a takeover, which has waited out the previous holder's lease
 *       already), unless the previous run recorded a clean stop, the slot must have been idle for a
 *       lease: on PostgreSQL 17+ from its {@code inactive_since}, before that from the moment a
 *       reader had to be waited for or terminated.
 *   <li>A takeover need not wait out the previous holder's lease when that holder recorded a clean
 *       stop in offsets every replica shares ({@link #previousRunStoppedCleanlyForAll}).
 * </ul>
 */
final class SlotHandover {

  private static final Logger log = LoggerFactory.getLogger(SlotHandover.class);

  private final PipelineSettings settings;
  private final SlotMarker marker;

  SlotHandover(PipelineSettings settings, SlotMarker marker) {
    this.settings = settings;
    this.marker = marker;
  }

  /**
   * @param tookOver whether this instance waited out the previous holder's lease already
   */
  void prepare(boolean tookOver) {
    String slot = settings.slotName();
    try (Connection connection = SourceConnections.open(settings.source(), settings.name())) {
      boolean hadReader = ReplicationSlots.activePid(connection, slot) != null;
      freeSlot(connection, slot);
      if (!tookOver && !stoppedCleanly()) {
        awaitIdle(connection, slot, hadReader);
      }
    } catch (SQLException e) {
      throw SourceConnections.cannotConnect(settings.source(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceException(
          "Interrupted while waiting for replication slot '" + slot + "' to be released", e);
    }
  }

  private void freeSlot(Connection connection, String slot)
      throws SQLException, InterruptedException {
    Integer pid = ReplicationSlots.activePid(connection, slot);
    if (pid == null) {
      return;
    }
    SlotMarker.Reader recorded = recordedReader();
    if (recorded == null
        || recorded.pid() != pid
        || !recorded.backendStart().equals(backendStart(connection, pid))) {
      // Not a previous run's: it may be about to let go; if not, the preflight reports it, as
      // without replicas.
      ReplicationSlots.awaitRelease(connection, slot);
      return;
    }
    // A previous run's, still there although its instance no longer holds the lock: it stopped
    // before it could end the connection, or is paused or cut off with it open.
    try (PreparedStatement terminate =
        connection.prepareStatement("SELECT pg_terminate_backend(?)")) {
      terminate.setInt(1, pid);
      terminate.execute();
    }
    log.info(
        "Pipeline '{}' terminated the replication connection (PID {}) that a previous active instance"
            + " left on slot '{}'",
        settings.name(),
        pid,
        slot);
    ReplicationSlots.awaitRelease(connection, slot);
  }

  private SlotMarker.@Nullable Reader recordedReader() {
    try {
      return marker.lastReader();
    } catch (IOException | SQLException | RuntimeException e) {
      return null; // the preflight reports an unreadable marker
    }
  }

  /**
   * Whether the last instance to run the pipeline recorded a clean stop where every replica reads
   * it, so that nothing of it can still deliver and a takeover need not wait out its lease: only
   * offsets in PostgreSQL count (a file may be one replica's own, with an old stop of its own).
   */
  boolean previousRunStoppedCleanlyForAll() {
    return settings.offsets().table().isPresent() && stoppedCleanly();
  }

  /**
   * Whether the run marked by {@code instance} (one of this replica's, which has ended) was the
   * last to run the pipeline, as the offsets every replica shares say: no other instance started
   * since, so there is no one else's lease to wait out.
   */
  boolean lastRunForAllWas(String instance) {
    try {
      return settings.offsets().table().isPresent() && marker.markedRunningBy(instance);
    } catch (IOException | SQLException | RuntimeException e) {
      return false;
    }
  }

  private boolean stoppedCleanly() {
    try {
      return marker.stoppedAt().isPresent();
    } catch (IOException | SQLException | RuntimeException e) {
      return false; // the preflight reports an unreadable marker
    }
  }

  /** Waits until the slot has been idle for a lease, as far as the server can tell. */
  private void awaitIdle(Connection connection, String slot, boolean hadReader)
      throws SQLException, InterruptedException {
    long idleMillis = hadReader ? 0 : idleMillis(connection, slot);
    long wait = Lease.DURATION.toMillis() - idleMillis;
    if (wait <= 0) {
      return;
    }
    log.info(
        "Pipeline '{}' waits {} ms before it starts: slot '{}' was read moments ago, and that reader's"
            + " instance may still hold a lease",
        settings.name(),
        wait,
        slot);
    Thread.sleep(wait);
  }

  /**
   * How long the slot has been idle: from {@code inactive_since} on PostgreSQL 17+; earlier servers
   * do not say, and an idle slot counts as idle long enough.
   */
  private static long idleMillis(Connection connection, String slot) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT current_setting('server_version_num')::int >= 170000")) {
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next() || !row.getBoolean(1)) {
          return Long.MAX_VALUE;
        }
      }
    }
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT (extract(epoch FROM clock_timestamp() - inactive_since) * 1000)::bigint"
                + " FROM pg_replication_slots WHERE slot_name = ? AND inactive_since IS NOT NULL")) {
      statement.setString(1, slot);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? row.getLong(1) : Long.MAX_VALUE;
      }
    }
  }

  private static @Nullable String backendStart(Connection connection, int pid) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT backend_start::text FROM pg_stat_activity WHERE pid = ?")) {
      statement.setInt(1, pid);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? row.getString(1) : null;
      }
    }
  }
}
