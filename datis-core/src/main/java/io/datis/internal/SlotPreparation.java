package io.datis.internal;

import io.datis.api.SourceException;
import io.datis.api.event.Position;
import io.datis.postgres.PostgresSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the pipeline's replication slot can be read from where the pipeline stopped: checks an
 * existing slot, checks it against the stored offsets (a lost slot fails the start, or with {@code
 * resnapshotIfSlotLost()} starts over), and creates the slot when there is none. A slot that
 * silently lost changes would otherwise hide the loss.
 */
final class SlotPreparation {

  /** Logs under the preflight's name: the start-up messages share one logger. */
  private static final Logger log = LoggerFactory.getLogger(PostgresPreflight.class);

  /** The slot that {@link #check} found. */
  record ExistingSlot(boolean invalidated, long confirmedLsn) {}

  /**
   * What {@link #matchOffsets} decided: whether the slot must be created (there is none, or the
   * lost one was dropped), and whether the pipeline ran before and continues from its offsets.
   */
  record Plan(boolean createSlot, boolean ranBefore) {}

  private static final String SLOT_LOST_PREVENTION =
      "raise max_slot_wal_keep_size and watch the slot lag so that it does not happen again";

  private static final String DIVERGENCE_PREVENTION =
      "so that it does not happen again, set synchronized_standby_slots on the primary to its"
          + " standbys' physical slots (failoverSlot(ON) refuses to start without it), so that the"
          + " primary sends changes only once its standbys have them: see 'Primary failover' in the"
          + " README";

  private final PipelineSettings settings;
  private final PostgresSource source;
  private final SlotMarker marker;

  SlotPreparation(PipelineSettings settings, SlotMarker marker) {
    this.settings = settings;
    this.source = settings.source();
    this.marker = marker;
  }

  /**
   * Checks that an existing slot can be used by this pipeline, adding what prevents it to {@code
   * problems}. A slot in use is first given a few seconds to become free (see {@link
   * ReplicationSlots#RELEASE_WAIT}).
   *
   * @return the slot, or {@code null} if it does not exist
   */
  @Nullable ExistingSlot check(Connection connection, List<String> problems) throws SQLException {
    String slot = settings.slotName();
    try {
      ReplicationSlots.awaitRelease(connection, slot);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT plugin, database, active, active_pid, wal_status, confirmed_flush_lsn::text"
                + " FROM pg_replication_slots WHERE slot_name = ?")) {
      statement.setString(1, slot);
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          return null;
        }
        String plugin = row.getString("plugin");
        String database = row.getString("database");
        if (row.getBoolean("active")) {
          problems.add(ReplicationSlots.inUse(slot, row.getInt("active_pid")));
        }
        boolean invalidated = "lost".equals(row.getString("wal_status"));
        String confirmed = row.getString("confirmed_flush_lsn");
        long confirmedLsn = confirmed == null ? 0 : Position.parseLsn(confirmed);
        if (!"pgoutput".equals(plugin)) {
          problems.add(
              "Replication slot '"
                  + slot
                  + "' uses the '"
                  + plugin
                  + "' plugin, but Datis needs 'pgoutput'. Fix: drop it with SELECT pg_drop_replication_slot('"
                  + slot
                  + "'); or choose another slot name");
        } else if (!source.database().equals(database)) {
          problems.add(
              "Replication slot '"
                  + slot
                  + "' belongs to database '"
                  + database
                  + "', not '"
                  + source.database()
                  + "'. Fix: choose another slot name with the pipeline builder's slotName(...)");
        }
        return new ExistingSlot(invalidated, confirmedLsn);
      }
    }
  }

  /**
   * A slot that is invalidated, or missing while the pipeline has stored offsets, means the changes
   * since the pipeline last ran are gone: starting as if nothing happened would hide that. Fails,
   * or with {@code resnapshotIfSlotLost()} starts over: drops the slot, forgets the offsets,
   * snapshots. Marks the pipeline running unless it fails.
   *
   * @param existing what {@link #check} found
   * @param timeline the server's timeline, to tell a failover since the pipeline last ran; {@code
   *     null} if unknown
   * @throws SourceException if the slot was lost and the pipeline may not start over, or the
   *     offsets or the slot marker cannot be read or written
   */
  Plan matchOffsets(
      Connection connection, @Nullable ExistingSlot existing, @Nullable ServerTimeline timeline)
      throws SQLException {
    String slot = settings.slotName();
    StoredOffsets stored = new StoredOffsets(settings.offsets(), source, settings.name());
    boolean offsetsExist =
        stored.exist(); // also fails on offsets that cannot be read, before the engine starts
    OptionalLong stoppedAt = existing != null ? stoppedAt() : OptionalLong.empty();
    OptionalInt readOn =
        offsetsExist && timeline != null ? recordedTimeline() : OptionalInt.empty();
    boolean failedOver =
        timeline != null && readOn.isPresent() && readOn.getAsInt() != timeline.id();
    String diverged =
        timeline != null && failedOver ? divergence(readOn.getAsInt(), timeline, stored) : null;
    String lost;
    String prevention = SLOT_LOST_PREVENTION;
    if (existing != null && existing.invalidated()) {
      lost =
          "Replication slot '"
              + slot
              + "' is invalidated (wal_status = lost): PostgreSQL removed WAL the slot still needed, so"
              + " changes made since this pipeline last ran are gone";
    } else if (diverged != null) {
      lost = diverged;
      prevention = DIVERGENCE_PREVENTION;
    } else if (existing != null
        && stoppedAt.isPresent()
        && movedSinceStop(stoppedAt.getAsLong(), existing.confirmedLsn(), failedOver)) {
      lost =
          "Replication slot '"
              + slot
              + "' moved while pipeline '"
              + settings.name()
              + "' was stopped (from "
              + Position.formatLsn(stoppedAt.getAsLong())
              + " to "
              + Position.formatLsn(existing.confirmedLsn())
              + "): it was dropped and recreated, or another client read from it, so changes made since this"
              + " pipeline last ran are gone";
    } else if (existing == null && offsetsExist) {
      lost =
          "Replication slot '"
              + slot
              + "' does not exist, but pipeline '"
              + settings.name()
              + "' has offsets in "
              + settings.offsets()
              + ": the slot was dropped (or never belonged to these offsets), so changes made since this"
              + " pipeline last ran are gone"
              + promotedHint(timeline);
    } else {
      markRunning(timeline);
      return existing == null ? new Plan(true, false) : new Plan(false, offsetsExist);
    }
    if (!settings.resnapshotIfSlotLost()) {
      throw new SourceException(
          lost
              + ". Fix: to start over and read the tables afresh, start the pipeline once with"
              + " resnapshotIfSlotLost(); "
              + prevention);
    }
    log.warn(
        "{}. Starting over as resnapshotIfSlotLost() asks: forgetting the offsets and reading the tables again",
        lost);
    if (existing != null) {
      try (PreparedStatement drop =
          connection.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        drop.setString(1, slot);
        drop.execute();
      }
    }
    stored.clear();
    markRunning(timeline);
    return new Plan(true, false);
  }

  /**
   * After a failover, a slot synchronized from the old primary may stand behind where the pipeline
   * stopped (it is synchronized every few seconds) without loss: the pipeline resumes from its
   * offsets. Otherwise any move means that someone else read the slot, or made it anew.
   */
  private static boolean movedSinceStop(long stoppedAt, long confirmed, boolean failedOver) {
    return failedOver ? confirmed > stoppedAt : confirmed != stoppedAt;
  }

  /**
   * Why resuming from the stored offsets on this server would skip changes after a failover:
   * because they lie past the end of the timeline the pipeline read, or because this server does
   * not descend from it; {@code null} if neither.
   */
  private @Nullable String divergence(int readOn, ServerTimeline timeline, StoredOffsets stored) {
    if (!timeline.contains(readOn)) {
      return "Pipeline '"
          + settings.name()
          + "' last read timeline "
          + readOn
          + " of PostgreSQL, which is not in the history of the server at "
          + where()
          + " (timeline "
          + timeline.id()
          + "): its offsets belong to another server, or to one this server does not descend from";
    }
    long end = timeline.endOf(readOn).orElse(Long.MAX_VALUE);
    OptionalLong position = stored.position();
    if (position.isEmpty() || position.getAsLong() <= end) {
      return null;
    }
    return "PostgreSQL failed over since pipeline '"
        + settings.name()
        + "' last read: the server at "
        + where()
        + " is on timeline "
        + timeline.id()
        + ", where timeline "
        + readOn
        + ", which the pipeline read, ended at "
        + Position.formatLsn(end)
        + "; but the pipeline's offsets stand at "
        + Position.formatLsn(position.getAsLong())
        + ". The old primary sent it changes its standby never received: the pipeline delivered changes"
        + " between these positions that the new primary does not have, and would skip the changes the"
        + " new primary wrote there";
  }

  private String where() {
    return source.host() + ":" + source.port() + "/" + source.database();
  }

  /**
   * Creates the slot, so that every change committed from now on is kept for the pipeline.
   *
   * @param failover whether it is a failover slot, synchronized to standbys (PostgreSQL 17+)
   */
  void create(Connection connection, boolean failover) {
    String slot = settings.slotName();
    try (PreparedStatement statement =
        connection.prepareStatement(
            failover
                ? "SELECT pg_create_logical_replication_slot(?, 'pgoutput', false, false, true)"
                : "SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
      statement.setString(1, slot);
      statement.execute();
      log.info("Created {}replication slot '{}'", failover ? "failover " : "", slot);
    } catch (SQLException e) {
      String fix =
          "42710".equals(e.getSQLState())
              ? "another pipeline created it at the same moment; start again"
              : "53400".equals(e.getSQLState())
                  ? "drop unused slots (SELECT slot_name FROM pg_replication_slots WHERE NOT active) or raise"
                      + " max_replication_slots and restart PostgreSQL"
                  : "check that the user may create replication slots";
      throw new SourceException(
          "Cannot create replication slot '" + slot + "': " + e.getMessage() + ". Fix: " + fix, e);
    }
  }

  /**
   * Says so when the server was promoted from a standby (its timeline is not the first), the likely
   * way a slot goes missing in a failover: it existed on the old primary only.
   */
  private static String promotedHint(@Nullable ServerTimeline timeline) {
    if (timeline == null || timeline.id() == 1) {
      return "";
    }
    return " (this server is on timeline "
        + timeline.id()
        + ": it was promoted from a standby, so the slot existed only on the old primary and"
        + " was lost in the failover; on PostgreSQL 17+, failover slots survive it: see"
        + " 'Primary failover' in the README for the server settings)";
  }

  private OptionalInt recordedTimeline() {
    try {
      return marker.recordedTimeline();
    } catch (IOException | SQLException | RuntimeException e) {
      throw new SourceException(
          "Cannot read the slot marker next to the offsets in "
              + settings.offsets()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private OptionalLong stoppedAt() {
    try {
      return marker.stoppedAt();
    } catch (IOException | SQLException | RuntimeException e) {
      throw new SourceException(
          "Cannot read where the slot stood at the last stop, next to the offsets in "
              + settings.offsets()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private void markRunning(@Nullable ServerTimeline timeline) {
    if (timeline != null) {
      marker.onTimeline(timeline.id());
    }
    try {
      marker.running();
    } catch (IOException | SQLException e) {
      throw new SourceException(
          "Cannot write to the offsets in " + settings.offsets() + ": " + e.getMessage(), e);
    }
  }
}
