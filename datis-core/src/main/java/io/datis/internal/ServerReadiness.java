package io.datis.internal;

import io.datis.postgres.PostgresSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Checks what the server itself must offer before anything can be captured: logical WAL, a user
 * with the REPLICATION privilege, a free WAL sender and, for a new slot, room for it. Each check
 * adds its problem, with the fix, to a list, so that the preflight reports them all at once instead
 * of one per attempt.
 */
final class ServerReadiness {

  private final PipelineSettings settings;
  private final PostgresSource source;

  ServerReadiness(PipelineSettings settings) {
    this.settings = settings;
    this.source = settings.source();
  }

  /** The server's {@code server_version_num}, e.g. 170006. */
  static int version(Connection connection) throws SQLException {
    return Integer.parseInt(queryString(connection, "SHOW server_version_num"));
  }

  /** Checks that the server writes logical WAL, which change capture decodes. */
  void checkWalLevel(Connection connection, List<String> problems) throws SQLException {
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

  /** Checks that the user may open a replication connection. */
  void checkReplicationPrivilege(Connection connection, List<String> problems) throws SQLException {
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
   * Checks that the server has a WAL sender free for the replication connection and, when the slot
   * must be created, a free replication slot.
   */
  void checkReplicationCapacity(Connection connection, boolean slotExists, List<String> problems)
      throws SQLException {
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

  private static String queryString(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getString(1);
    }
  }
}
