package io.datis.internal;

import io.datis.api.event.TableId;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What PostgreSQL writes to the WAL to identify a table's old row on UPDATE and DELETE (its replica
 * identity), and so what a change event's key and {@code before} image can hold. A table without
 * one cannot be in a publication that publishes updates: PostgreSQL then refuses the application's
 * own UPDATE and DELETE on it.
 *
 * @param table the table (for a partition of a captured root: the partition)
 * @param kind how the old row is identified
 * @param primaryKey the primary key's columns, in key order; empty if none
 * @param identityIndex the columns of the index chosen with {@code REPLICA IDENTITY USING INDEX};
 *     empty if none (or if that index was dropped)
 */
record ReplicaIdentity(
    TableId table, Kind kind, List<String> primaryKey, List<String> identityIndex) {

  /** {@code pg_class.relreplident}. */
  enum Kind {
    /** {@code d}: the primary key, if there is one. */
    DEFAULT,
    /** {@code i}: a unique index. */
    INDEX,
    /** {@code f}: the whole old row. */
    FULL,
    /** {@code n}: nothing. */
    NOTHING;

    static Kind of(String code) {
      switch (code) {
        case "d":
          return DEFAULT;
        case "i":
          return INDEX;
        case "f":
          return FULL;
        default:
          return NOTHING;
      }
    }
  }

  /**
   * The query of a table's replica identity; from PostgreSQL 11 on, only an index's key columns
   * count, not the columns it merely INCLUDEs (which old rows do not carry).
   */
  private static String select(int serverVersion) {
    String keyColumns = serverVersion >= 110000 ? " AND k.ord <= i.indnkeyatts" : "";
    String columnsOfIndex =
        "(SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i"
            + " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
            + " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
            + " WHERE i.indrelid = c.oid AND i.%s"
            + keyColumns
            + ")";
    return "SELECT n.nspname, c.relname, c.relreplident, "
        + String.format(columnsOfIndex, "indisprimary")
        + ", "
        + String.format(columnsOfIndex, "indisreplident")
        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace";
  }

  /** The replica identity of the table, or {@code null} if it does not exist. */
  static @Nullable ReplicaIdentity read(Connection connection, TableId table, int serverVersion)
      throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement(
            select(serverVersion)
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
      statement.setString(1, table.schema());
      statement.setString(2, table.table());
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? of(row) : null;
      }
    }
  }

  /**
   * The replica identities of a partitioned table's leaf partitions, whose own replica identity is
   * what PostgreSQL checks when the application updates or deletes their rows (PostgreSQL 12+).
   */
  static List<ReplicaIdentity> readLeafPartitions(
      Connection connection, TableId root, int serverVersion) throws SQLException {
    List<ReplicaIdentity> leaves = new ArrayList<>();
    try (PreparedStatement statement =
        connection.prepareStatement(
            select(serverVersion)
                + " JOIN pg_partition_tree(?::regclass) t ON t.relid = c.oid WHERE t.isleaf AND c.relkind = 'r'"
                + " ORDER BY n.nspname, c.relname")) {
      statement.setString(1, SqlIdentifiers.quote(root));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          leaves.add(of(rows));
        }
      }
    }
    return leaves;
  }

  /**
   * The replica identities of every table that holds rows among the given ones: each plain table
   * and, for a partitioned table, its leaf partitions (from PostgreSQL 12 on; before, the listed
   * tables only). Tables that do not exist are left out. One query, for checking again while the
   * pipeline runs.
   */
  static List<ReplicaIdentity> readRowTables(
      Connection connection, List<TableId> tables, int serverVersion) throws SQLException {
    String members =
        serverVersion >= 120000
            ? "SELECT oid FROM listed UNION ALL SELECT t.relid FROM listed l CROSS JOIN LATERAL pg_partition_tree(l.oid) t"
            : "SELECT oid FROM listed";
    List<ReplicaIdentity> identities = new ArrayList<>();
    try (PreparedStatement statement =
        connection.prepareStatement(
            "WITH listed AS (SELECT to_regclass(name) AS oid FROM unnest(?::text[]) AS name) "
                + select(serverVersion)
                + " WHERE c.relkind = 'r' AND c.oid IN ("
                + members
                + ") ORDER BY n.nspname, c.relname")) {
      statement.setArray(
          1,
          connection.createArrayOf("text", tables.stream().map(SqlIdentifiers::quote).toArray()));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          identities.add(of(rows));
        }
      }
    }
    return identities;
  }

  private static ReplicaIdentity of(ResultSet row) throws SQLException {
    return new ReplicaIdentity(
        TableId.of(row.getString(1), row.getString(2)),
        Kind.of(row.getString(3)),
        columns(row.getArray(4)),
        columns(row.getArray(5)));
  }

  private static List<String> columns(@Nullable Array array) throws SQLException {
    return array == null ? List.of() : List.of((String[]) array.getArray());
  }

  /** Whether updates and deletes of the table can be published: it has a replica identity. */
  boolean identifiesRows() {
    switch (kind) {
      case DEFAULT:
        return !primaryKey.isEmpty();
      case INDEX:
        return !identityIndex.isEmpty();
      case FULL:
        return true;
      default:
        return false;
    }
  }

  /**
   * The columns of the old row that PostgreSQL sends for updates and deletes; {@code null} when it
   * sends the whole row ({@code FULL}). Debezium fills the other columns with type defaults, which
   * are not data.
   */
  @Nullable List<String> oldRowColumns() {
    switch (kind) {
      case FULL:
        return null;
      case INDEX:
        return identityIndex;
      case DEFAULT:
        return primaryKey;
      default:
        return List.of();
    }
  }

  /**
   * The columns that key the table's events: the primary key; without one, the replica identity
   * index; none for a table identified by its whole row.
   */
  List<String> keyColumns() {
    if (!primaryKey.isEmpty()) {
      return primaryKey;
    }
    return kind == Kind.INDEX ? identityIndex : List.of();
  }

  /**
   * Why the table has no replica identity, e.g. {@code no primary key, REPLICA IDENTITY DEFAULT}.
   */
  String missingReason() {
    switch (kind) {
      case DEFAULT:
        return "no primary key, REPLICA IDENTITY DEFAULT";
      case INDEX:
        return "REPLICA IDENTITY USING INDEX, but that index was dropped";
      default:
        return "REPLICA IDENTITY NOTHING";
    }
  }
}
