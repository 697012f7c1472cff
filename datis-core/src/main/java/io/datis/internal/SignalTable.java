package io.datis.internal;

import io.datis.api.SourceException;
import io.datis.api.event.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The pipeline's table of Debezium signals ({@code public.<slot>_signals}, e.g. {@code
 * public.datis_orders_signals}): a request to read tables again (an incremental snapshot) is a row
 * inserted here, which Debezium reads from the WAL in order with the changes. Being in the WAL, a
 * request survives a crash: a pipeline that restarts before it committed past the request reads it
 * again, one that committed past it finds the snapshot's progress in its offsets. Debezium also
 * writes the snapshot's watermarks here; none of it reaches the sink.
 */
final class SignalTable {

  private static final Pattern REGEX_SPECIAL = Pattern.compile("([\\\\.\\[\\]{}()*+?^$|])");
  private static final int MAX_IDENTIFIER = 63;

  private final TableId table;

  private SignalTable(TableId table) {
    this.table = table;
  }

  /**
   * The signal table of the pipeline reading this replication slot: {@code public.<slot>_signals}.
   * A slot is read by one pipeline only, so two pipelines never share a signal table, whatever
   * their names.
   */
  static SignalTable of(String slot) {
    String name = slot.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + "_signals";
    if (name.length() > MAX_IDENTIFIER) {
      String hash = Integer.toHexString(name.hashCode());
      name = name.substring(0, MAX_IDENTIFIER - hash.length() - 1) + "_" + hash;
    }
    return new SignalTable(TableId.of("public", name));
  }

  TableId table() {
    return table;
  }

  /** Creates the table if it is missing; throws saying how to create it when the user may not. */
  void create(Connection connection, String user) {
    String create = createStatement();
    try (Statement statement = connection.createStatement()) {
      // PostgreSQL checks the CREATE privilege before IF NOT EXISTS: a table a DBA created must not
      // need it.
      try (ResultSet exists =
          statement.executeQuery(
              "SELECT to_regclass('" + SqlIdentifiers.quote(table).replace("'", "''") + "')")) {
        exists.next();
        if (exists.getString(1) != null) {
          return;
        }
      }
      statement.execute(create);
    } catch (SQLException e) {
      throw new SourceException(
          "Cannot create the table "
              + table
              + " through which Datis asks Debezium to read tables (added tables, Pipeline.snapshot): "
              + e.getMessage()
              + ". Fix: as the owner of schema public run "
              + create
              + "; ALTER TABLE "
              + SqlIdentifiers.quote(table)
              + " OWNER TO \""
              + user
              + "\";",
          e);
    }
  }

  private String createStatement() {
    return "CREATE TABLE IF NOT EXISTS "
        + SqlIdentifiers.quote(table)
        + " (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)";
  }

  /** A new signal id. */
  static String newId() {
    return UUID.randomUUID().toString();
  }

  /**
   * Asks Debezium to read the tables again, while streaming goes on: inserts an {@code
   * execute-snapshot} signal, with this id, for an incremental snapshot. Runs in the connection's
   * transaction, if it has one.
   */
  void requestSnapshot(Connection connection, Collection<TableId> tables, String id)
      throws SQLException {
    String collections =
        tables.stream()
            .map(
                name ->
                    "\""
                        + jsonEscape(REGEX_SPECIAL.matcher(name.toString()).replaceAll("\\\\$1"))
                        + "\"")
            .collect(Collectors.joining(","));
    try (PreparedStatement insert =
        connection.prepareStatement(
            "INSERT INTO " + SqlIdentifiers.quote(table) + " (id, type, data) VALUES (?, ?, ?)")) {
      insert.setString(1, id);
      insert.setString(2, "execute-snapshot");
      insert.setString(3, "{\"data-collections\":[" + collections + "],\"type\":\"incremental\"}");
      insert.executeUpdate();
    }
  }

  /** Drops the table, for a retired pipeline. */
  void drop(Connection connection) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("DROP TABLE IF EXISTS " + SqlIdentifiers.quote(table));
    }
  }

  private static String jsonEscape(String text) {
    return text.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
