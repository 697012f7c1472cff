package io.datis.internal;

import io.datis.SnapshotMode;
import io.datis.api.ConfigurationException;
import io.datis.api.SourceException;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.postgres.PostgresSource;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before any capture starts, that the database can be captured from, and reports every
 * problem at once with its fix. Then makes sure the publication matches the pipeline's tables and
 * the replication slot exists, so that every change committed after {@code start()} returns is
 * captured.
 */
final class PostgresPreflight {

  private static final Logger log = LoggerFactory.getLogger(PostgresPreflight.class);

  private final PipelineSettings settings;
  private final PostgresSource source;
  private final SlotMarker marker;

  /** Set by the slot check: the slot exists but PostgreSQL invalidated it. */
  private boolean slotInvalidated;

  /** Set by the slot check: the slot's confirmed LSN. */
  private long slotConfirmedLsn;

  /** Set by the check of slot and offsets: whether the pipeline has committed offsets before. */
  private boolean offsetsExisted;

  PostgresPreflight(PipelineSettings settings, SlotMarker marker) {
    this.marker = marker;
    this.settings = settings;
    this.source = settings.source();
  }

  /**
   * Runs the checks and prepares publication and slot; throws {@link SourceException} when the
   * database cannot be captured from and {@link ConfigurationException} when the listed tables
   * cannot be, before changing anything in the database.
   *
   * @return the captured tables as the catalog describes them
   */
  CapturedTables run() {
    try (Connection connection = connect()) {
      int serverVersion = Integer.parseInt(queryString(connection, "SHOW server_version_num"));
      List<String> problems = new ArrayList<>();
      checkWalLevel(connection, problems);
      checkReplicationPrivilege(connection, problems);
      CapturedTables tables = CapturedTables.read(connection, settings.tables(), serverVersion);
      problems.addAll(tables.sourceProblems(source.user(), source.database()));
      boolean slotExists = checkSlot(connection, problems);
      checkReplicationCapacity(connection, slotExists, problems);
      if (!problems.isEmpty()) {
        throw new SourceException(describe(problems));
      }
      List<String> tableProblems = tables.configurationProblems(settings.publicationName());
      if (!tableProblems.isEmpty()) {
        throw new ConfigurationException(
            "Pipeline '" + settings.name() + "' cannot start", tableProblems);
      }
      boolean slotExisted = slotExists;
      slotExists = checkSlotMatchesOffsets(connection, slotExists, problems);
      if (!problems.isEmpty()) {
        throw new SourceException(describe(problems));
      }
      preparePublication(
          connection, tables, serverVersion, slotExisted && slotExists && offsetsExisted);
      if (!slotExists) {
        createSlot(connection);
      }
      return tables;
    } catch (SQLException e) {
      throw new SourceException(
          "Cannot prepare PostgreSQL at " + where() + " for capture: " + e.getMessage(), e);
    }
  }

  private Connection connect() {
    try {
      return SourceConnections.open(source, settings.name());
    } catch (SQLException e) {
      throw new SourceException(
          "Cannot connect to PostgreSQL at "
              + where()
              + " as user '"
              + source.user()
              + "': "
              + e.getMessage()
              + ". Check host, port, database, user and password, and that the server accepts connections from this machine",
          e);
    }
  }

  private void checkWalLevel(Connection connection, List<String> problems) throws SQLException {
    String walLevel = queryString(connection, "SHOW wal_level");
    if (!"logical".equals(walLevel)) {
      problems.add(
          "PostgreSQL at "
              + source.host()
              + ":"
              + source.port()
              + " has wal_level '"
              + walLevel
              + "', but change capture needs 'logical'. Fix: run ALTER SYSTEM SET wal_level = logical; and restart"
              + " PostgreSQL (on a managed service, turn on its logical replication setting)");
    }
  }

  private void checkReplicationPrivilege(Connection connection, List<String> problems)
      throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user")) {
      if (!row.next() || !row.getBoolean(1)) {
        problems.add(
            "User '"
                + source.user()
                + "' lacks the REPLICATION privilege needed to read changes. Fix: as a superuser run ALTER ROLE \""
                + source.user()
                + "\" WITH REPLICATION;");
      }
    }
  }

  /**
   * Creates the signal table, and creates or updates the publication for the tables and the signal
   * table. When a pipeline that ran before now captures tables it did not, it asks (in the same
   * transaction that adds them to the publication) for their existing rows to be read while changes
   * stream, under {@link SnapshotMode#INITIAL}; under {@code CHANGES_ONLY} it says that it does
   * not.
   */
  private void preparePublication(
      Connection connection, CapturedTables tables, int serverVersion, boolean ranBefore)
      throws SQLException {
    SignalTable signals = SignalTable.of(settings.slotName());
    signals.create(connection, source.user());
    PublicationSync publication = new PublicationSync(settings, serverVersion);
    Set<TableId> published = publication.published(connection);
    Set<TableId> added = new LinkedHashSet<>(settings.tables());
    if (published == null || !ranBefore) {
      added.clear();
    } else {
      added.removeAll(published);
    }
    if (published == null && ranBefore && settings.snapshotMode() == SnapshotMode.INITIAL) {
      log.warn(
          "Pipeline '{}' cannot tell whether tables(...) lists tables it did not capture before, since its"
              + " publication '{}' publishes all tables or was dropped: the existing rows of a table added to"
              + " the list are not read. If you added tables, call Pipeline.snapshot(...) for them",
          settings.name(),
          settings.publicationName());
    }
    boolean readAdded = settings.snapshotMode() == SnapshotMode.INITIAL && !added.isEmpty();
    if (readAdded) {
      List<String> problems =
          IncrementalSnapshots.problems(settings, tables.eventIdentities(), added);
      if (!problems.isEmpty()) {
        throw new ConfigurationException(
            "Pipeline '"
                + settings.name()
                + "' cannot read the existing rows of the tables added to it (SnapshotMode.INITIAL)",
            problems.stream()
                .map(problem -> problem + ", or start with snapshot(SnapshotMode.CHANGES_ONLY)")
                .toList());
      }
    }
    publication.include(connection, signals.table());
    Set<TableId> wanted = new LinkedHashSet<>(settings.tables());
    wanted.add(signals.table());
    connection.setAutoCommit(false);
    try {
      publication.sync(connection, wanted, tables.partitioned());
      if (readAdded) {
        signals.requestSnapshot(connection, added, SignalTable.newId());
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
    if (readAdded) {
      log.info(
          "Pipeline '{}' now also captures {}: their existing rows are read while changes stream (see health())",
          settings.name(),
          added);
    } else if (!added.isEmpty()) {
      log.info(
          "Pipeline '{}' now also captures {}: their changes from now on are captured, but not their existing"
              + " rows, since the pipeline runs with SnapshotMode.CHANGES_ONLY; call Pipeline.snapshot(...) to read"
              + " them",
          settings.name(),
          added);
    }
  }

  /**
   * Checks that the server has a WAL sender free for the replication connection and, when the slot
   * must be created, a free replication slot.
   */
  private void checkReplicationCapacity(
      Connection connection, boolean slotExists, List<String> problems) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT current_setting('max_wal_senders')::int,"
                    + " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'),"
                    + " current_setting('max_replication_slots')::int,"
                    + " (SELECT count(*) FROM pg_replication_slots),"
                    + " (SELECT string_agg(slot_name, ', ' ORDER BY slot_name) FROM pg_replication_slots WHERE NOT active)")) {
      row.next();
      int maxWalSenders = row.getInt(1);
      long walSenders = row.getLong(2);
      int maxSlots = row.getInt(3);
      long slots = row.getLong(4);
      String inactive = row.getString(5);
      if (walSenders >= maxWalSenders) {
        problems.add(
            "PostgreSQL at "
                + source.host()
                + ":"
                + source.port()
                + " has no free WAL sender for the replication connection: "
                + (maxWalSenders == 0
                    ? "max_wal_senders is 0"
                    : "all "
                        + maxWalSenders
                        + " (max_wal_senders) are in use by replication clients")
                + ". Fix: stop a replication client that is no longer needed, or raise max_wal_senders (ALTER SYSTEM"
                + " SET max_wal_senders = "
                + (Math.max(maxWalSenders, (int) walSenders) + 1)
                + ";) and restart PostgreSQL");
      }
      if (!slotExists && slots >= maxSlots) {
        problems.add(
            "PostgreSQL at "
                + source.host()
                + ":"
                + source.port()
                + " has no free replication slot for '"
                + settings.slotName()
                + "': "
                + (maxSlots == 0
                    ? "max_replication_slots is 0"
                    : "all " + maxSlots + " (max_replication_slots) exist")
                + (inactive == null ? "" : ", of which unused: " + inactive)
                + ". Fix: drop slots that are no longer needed (SELECT pg_drop_replication_slot('name');), or raise"
                + " max_replication_slots (ALTER SYSTEM SET max_replication_slots = "
                + (Math.max(maxSlots, (int) slots) + 1)
                + ";) and restart PostgreSQL");
      }
    }
  }

  /**
   * Checks that an existing slot can be used by this pipeline; returns whether it exists. A slot in
   * use is first given a few seconds to become free (see {@link ReplicationSlots#RELEASE_WAIT}).
   */
  private boolean checkSlot(Connection connection, List<String> problems) throws SQLException {
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
          return false;
        }
        String plugin = row.getString("plugin");
        String database = row.getString("database");
        if (row.getBoolean("active")) {
          problems.add(
              "Replication slot '"
                  + slot
                  + "' is already active for another process (PID "
                  + row.getInt("active_pid")
                  + "): another pipeline or client is reading from it. Stop that reader first, or give this"
                  + " pipeline its own slot with the pipeline builder's slotName(...)");
        }
        slotInvalidated = "lost".equals(row.getString("wal_status"));
        String confirmed = row.getString("confirmed_flush_lsn");
        slotConfirmedLsn = confirmed == null ? 0 : Position.parseLsn(confirmed);
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
        return true;
      }
    }
  }

  /**
   * A slot that is invalidated, or missing while the pipeline has stored offsets, means the changes
   * since the pipeline last ran are gone: starting as if nothing happened would hide that. Fails,
   * or with {@code resnapshotIfSlotLost()} starts over: drops the slot, forgets the offsets,
   * snapshots.
   *
   * @return whether the slot exists now
   */
  private boolean checkSlotMatchesOffsets(
      Connection connection, boolean slotExists, List<String> problems) throws SQLException {
    String slot = settings.slotName();
    StoredOffsets stored = new StoredOffsets(settings.offsets(), source, settings.name());
    boolean offsetsExist =
        stored.exist(); // also fails on offsets that cannot be read, before the engine starts
    offsetsExisted = offsetsExist;
    OptionalLong stoppedAt = slotExists ? stoppedAt(marker) : OptionalLong.empty();
    String lost;
    if (slotExists && slotInvalidated) {
      lost =
          "Replication slot '"
              + slot
              + "' is invalidated (wal_status = lost): PostgreSQL removed WAL the slot still needed, so"
              + " changes made since this pipeline last ran are gone";
    } else if (stoppedAt.isPresent() && stoppedAt.getAsLong() != slotConfirmedLsn) {
      lost =
          "Replication slot '"
              + slot
              + "' moved while pipeline '"
              + settings.name()
              + "' was stopped (from "
              + Position.formatLsn(stoppedAt.getAsLong())
              + " to "
              + Position.formatLsn(slotConfirmedLsn)
              + "): it was dropped and recreated, or another client read from it, so changes made since this"
              + " pipeline last ran are gone";
    } else if (!slotExists && offsetsExist) {
      lost =
          "Replication slot '"
              + slot
              + "' does not exist, but pipeline '"
              + settings.name()
              + "' has offsets in "
              + settings.offsets()
              + ": the slot was dropped (or never belonged to these offsets), so changes made since this"
              + " pipeline last ran are gone";
    } else {
      markRunning(marker);
      return slotExists;
    }
    if (!settings.resnapshotIfSlotLost()) {
      problems.add(
          lost
              + ". Fix: to start over and read the tables afresh, start the pipeline once with"
              + " resnapshotIfSlotLost(); raise max_slot_wal_keep_size and watch the slot lag so that it does"
              + " not happen again");
      return slotExists;
    }
    log.warn(
        "{}. Starting over as resnapshotIfSlotLost() asks: forgetting the offsets and reading the tables again",
        lost);
    if (slotExists) {
      try (PreparedStatement drop =
          connection.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        drop.setString(1, slot);
        drop.execute();
      }
    }
    stored.clear();
    markRunning(marker);
    return false;
  }

  private OptionalLong stoppedAt(SlotMarker marker) {
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

  private void markRunning(SlotMarker marker) {
    try {
      marker.running();
    } catch (IOException | SQLException e) {
      throw new SourceException(
          "Cannot write to the offsets in " + settings.offsets() + ": " + e.getMessage(), e);
    }
  }

  private void createSlot(Connection connection) {
    String slot = settings.slotName();
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
      statement.setString(1, slot);
      statement.execute();
      log.info("Created replication slot '{}'", slot);
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

  private String describe(List<String> problems) {
    if (problems.size() == 1) {
      return problems.get(0);
    }
    StringBuilder message =
        new StringBuilder("PostgreSQL at ")
            .append(where())
            .append(" cannot be captured from, for ")
            .append(problems.size())
            .append(" reasons:");
    for (String problem : problems) {
      message.append("\n  - ").append(problem);
    }
    return message.toString();
  }

  private String where() {
    return source.host() + ":" + source.port() + "/" + source.database();
  }

  private static String queryString(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getString(1);
    }
  }
}
