package io.datis.internal;

import io.datis.api.SourceException;
import io.datis.postgres.PostgresSource;
import io.datis.postgres.PostgresSource.FailoverSlot;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the pipeline's slot is a failover slot, which PostgreSQL 17+ synchronizes to standbys
 * (with {@code sync_replication_slots} on) so that it survives a primary failover: decided from
 * {@link PostgresSource#failoverSlot()} and the server, checked against the server's settings, and
 * applied to an existing slot.
 *
 * <p>Without {@code synchronized_standby_slots}, the primary may send changes to the pipeline
 * before a standby has their WAL; after a failover to that standby they are gone from the database,
 * and the new primary writes other changes at the positions the pipeline already passed, which it
 * then never reads. With {@link FailoverSlot#ON} that is an error; with {@link
 * FailoverSlot#AUTOMATIC} a warning when the primary has standbys.
 */
final class FailoverSlots {

  /** Logs under the preflight's name: the start-up messages share one logger. */
  private static final Logger log = LoggerFactory.getLogger(PostgresPreflight.class);

  private final PipelineSettings settings;
  private final PostgresSource source;

  FailoverSlots(PipelineSettings settings) {
    this.settings = settings;
    this.source = settings.source();
  }

  /**
   * Whether the slot is to be a failover slot on this server; adds to {@code problems} why it
   * cannot be when {@link FailoverSlot#ON} asks for one.
   */
  boolean wanted(Connection connection, int serverVersion, List<String> problems)
      throws SQLException {
    FailoverSlot mode = source.failoverSlot();
    if (mode == FailoverSlot.OFF) {
      return false;
    }
    boolean inRecovery = queryBoolean(connection, "SELECT pg_is_in_recovery()");
    if (serverVersion < 170000 || inRecovery) {
      if (mode == FailoverSlot.ON) {
        problems.add(
            "failoverSlot(ON) needs a PostgreSQL 17+ primary, but PostgreSQL at "
                + where()
                + (inRecovery ? " is a standby" : " is version " + serverVersion)
                + ". Fix: capture from the primary of PostgreSQL 17 or later, or use"
                + " failoverSlot(AUTOMATIC) (an ordinary slot there, which a failover loses)");
      }
      return false;
    }
    String holdBack = queryString(connection, "SHOW synchronized_standby_slots");
    if (holdBack.isBlank()) {
      String risk =
          "synchronized_standby_slots is empty on PostgreSQL at "
              + where()
              + ", so changes can reach pipeline '"
              + settings.name()
              + "' before a standby has them: after a failover to that standby they are gone, and"
              + " changes the new primary commits at the positions the pipeline already passed are"
              + " never read. Fix: ALTER SYSTEM SET synchronized_standby_slots = '<physical slot of"
              + " each standby that synchronizes slots>'; SELECT pg_reload_conf();";
      if (hasStandbys(connection)) {
        if (mode == FailoverSlot.ON) {
          problems.add(risk + " (or failoverSlot(AUTOMATIC) to accept the risk)");
        } else {
          log.warn("{}", risk);
        }
      }
    }
    return true;
  }

  /** Makes an existing slot a failover slot, if it is not one yet. */
  void makeFailover(Connection connection) throws SQLException {
    String slot = settings.slotName();
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT failover FROM pg_replication_slots WHERE slot_name = ?")) {
      statement.setString(1, slot);
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next() || row.getBoolean(1)) {
          return;
        }
      }
    }
    try (Connection replication = SourceConnections.openReplication(source, settings.name());
        Statement alter = replication.createStatement()) {
      alter.execute("ALTER_REPLICATION_SLOT " + SqlIdentifiers.quote(slot) + " ( FAILOVER true )");
    } catch (SQLException e) {
      throw new SourceException(
          "Cannot make replication slot '"
              + slot
              + "' a failover slot: "
              + e.getMessage()
              + ". Fix: run ALTER_REPLICATION_SLOT "
              + slot
              + " ( FAILOVER true ) on a replication connection, or failoverSlot(OFF)",
          e);
    }
    log.info("Made replication slot '{}' a failover slot, synchronized to standbys", slot);
  }

  /** Whether the server streams WAL to a physical standby now. */
  private static boolean hasStandbys(Connection connection) throws SQLException {
    return queryBoolean(
        connection,
        "SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_type = 'physical' AND active)");
  }

  private String where() {
    return source.host() + ":" + source.port() + "/" + source.database();
  }

  private static boolean queryBoolean(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      return row.next() && row.getBoolean(1);
    }
  }

  private static String queryString(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      String value = row.getString(1);
      return value == null ? "" : value;
    }
  }
}
