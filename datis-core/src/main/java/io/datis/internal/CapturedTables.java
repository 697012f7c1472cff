package io.datis.internal;

import io.datis.api.event.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The tables a pipeline captures, as PostgreSQL's catalog describes them at start: whether each
 * exists and may be read, whether it is a partitioned table or a partition, and its replica
 * identity. Tells what about them forbids capture, each with its fix, before anything in the
 * database is changed.
 */
final class CapturedTables {

  /**
   * PostgreSQL 13 added {@code publish_via_partition_root}, which capturing a partitioned table
   * needs.
   */
  static final int PARTITION_ROOT_VERSION = 130000;

  /** One captured table. */
  record Table(
      TableId id,
      boolean partitioned,
      @Nullable TableId partitionRoot,
      ReplicaIdentity identity,
      List<ReplicaIdentity> leafPartitions) {

    /**
     * What identifies the table's rows in its events; {@code null} for a partitioned table whose
     * partitions identify their rows in ways its events cannot share (see {@link
     * #identityProblem()}). A partitioned table's old rows come from its partitions: with a primary
     * key of its own (which every partition has), it is keyed by that, and its old rows are whole
     * when every partition sends them whole; without one, by the key its partitions share, or by
     * none when they all send whole rows.
     */
    @Nullable ReplicaIdentity eventIdentity() {
      if (!partitioned || leafPartitions.isEmpty()) {
        return identity;
      }
      boolean allFull =
          leafPartitions.stream().allMatch(leaf -> leaf.kind() == ReplicaIdentity.Kind.FULL);
      if (!identity.primaryKey().isEmpty()) {
        boolean everyOldRowHasTheKey =
            leafPartitions.stream()
                .allMatch(
                    leaf ->
                        leaf.oldRowColumns() == null
                            || leaf.oldRowColumns().containsAll(identity.primaryKey()));
        if (!everyOldRowHasTheKey) {
          return null;
        }
        return allFull
            ? new ReplicaIdentity(id, ReplicaIdentity.Kind.FULL, identity.primaryKey(), List.of())
            : identity;
      }
      if (allFull) {
        return new ReplicaIdentity(id, ReplicaIdentity.Kind.FULL, List.of(), List.of());
      }
      Set<List<String>> keys =
          leafPartitions.stream().map(ReplicaIdentity::keyColumns).collect(Collectors.toSet());
      Set<List<String>> oldRows =
          leafPartitions.stream()
              .map(leaf -> leaf.oldRowColumns() == null ? List.<String>of() : leaf.oldRowColumns())
              .collect(Collectors.toSet());
      List<String> key = keys.iterator().next();
      if (keys.size() != 1 || key.isEmpty() || !oldRows.equals(Set.of(key))) {
        return null;
      }
      return new ReplicaIdentity(id, ReplicaIdentity.Kind.INDEX, List.of(), key);
    }

    /**
     * Why a partitioned table's partitions cannot be captured under its name; {@code null} if they
     * can.
     */
    @Nullable String identityProblem() {
      if (eventIdentity() != null
          || leafPartitions.stream().anyMatch(leaf -> !leaf.identifiesRows())) {
        return null; // partitions without a replica identity are reported on their own
      }
      String each =
          leafPartitions.stream()
              .map(
                  leaf ->
                      leaf.table()
                          + " by "
                          + (leaf.oldRowColumns() == null ? "the whole row" : leaf.keyColumns()))
              .collect(Collectors.joining(", "));
      return "Partitioned table "
          + id
          + "'s partitions identify their old rows in ways its changes cannot share ("
          + each
          + (identity.primaryKey().isEmpty()
              ? ""
              : ", while it is keyed by its primary key " + identity.primaryKey())
          + "), so its updates and deletes could not all be keyed. Fix: give "
          + id
          + " a primary key and leave its partitions' replica identity at DEFAULT (or set every partition to"
          + " REPLICA IDENTITY FULL)";
    }

    /** The table and, for a partitioned table, its leaf partitions: each must identify its rows. */
    List<ReplicaIdentity> identities() {
      List<ReplicaIdentity> all = new ArrayList<>(1 + leafPartitions.size());
      if (!partitioned) {
        all.add(identity);
      }
      all.addAll(leafPartitions);
      return all;
    }
  }

  private final int serverVersion;
  private final Map<TableId, Table> tables;
  private final List<TableId> missing;
  private final List<TableId> unreadable;

  private CapturedTables(
      int serverVersion,
      Map<TableId, Table> tables,
      List<TableId> missing,
      List<TableId> unreadable) {
    this.serverVersion = serverVersion;
    this.tables = tables;
    this.missing = missing;
    this.unreadable = unreadable;
  }

  static CapturedTables read(Connection connection, List<TableId> names, int serverVersion)
      throws SQLException {
    Map<TableId, Table> tables = new LinkedHashMap<>();
    List<TableId> missing = new ArrayList<>();
    List<TableId> unreadable = new ArrayList<>();
    boolean partitionsKnown = serverVersion >= PARTITION_ROOT_VERSION;
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT c.relkind = 'p', has_table_privilege(c.oid, 'SELECT'), "
                + (partitionsKnown
                    ? "(SELECT rn.nspname FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace"
                        + " WHERE r.oid = pg_partition_root(c.oid) AND c.relispartition),"
                        + " (SELECT r.relname FROM pg_class r WHERE r.oid = pg_partition_root(c.oid) AND c.relispartition)"
                    : "NULL, NULL")
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
      for (TableId name : names) {
        statement.setString(1, name.schema());
        statement.setString(2, name.table());
        try (ResultSet row = statement.executeQuery()) {
          if (!row.next()) {
            missing.add(name);
            continue;
          }
          if (!row.getBoolean(2)) {
            unreadable.add(name);
          }
          boolean partitioned = row.getBoolean(1);
          TableId root =
              row.getString(3) == null ? null : TableId.of(row.getString(3), row.getString(4));
          ReplicaIdentity identity = ReplicaIdentity.read(connection, name, serverVersion);
          if (identity == null) {
            missing.add(name); // dropped in between
            continue;
          }
          List<ReplicaIdentity> leaves =
              partitioned && partitionsKnown
                  ? ReplicaIdentity.readLeafPartitions(connection, name, serverVersion)
                  : List.of();
          tables.put(name, new Table(name, partitioned, root, identity, leaves));
        }
      }
    }
    return new CapturedTables(serverVersion, tables, missing, unreadable);
  }

  /** The server's {@code server_version_num}, e.g. 170006. */
  int serverVersion() {
    return serverVersion;
  }

  /**
   * What identifies each captured table's rows in its events (checked by {@link
   * #configurationProblems}).
   */
  Map<TableId, ReplicaIdentity> eventIdentities() {
    Map<TableId, ReplicaIdentity> identities = new LinkedHashMap<>();
    tables.forEach(
        (name, table) -> {
          ReplicaIdentity identity = table.eventIdentity();
          if (identity != null) {
            identities.put(name, identity);
          }
        });
    return identities;
  }

  /** The captured tables that are partitioned, and so must be published through their root. */
  List<TableId> partitioned() {
    return tables.values().stream().filter(Table::partitioned).map(Table::id).toList();
  }

  /** What keeps the database from being captured: tables missing or unreadable. */
  List<String> sourceProblems(String user, String database) {
    List<String> problems = new ArrayList<>(2);
    if (!unreadable.isEmpty()) {
      String names =
          unreadable.stream().map(SqlIdentifiers::quote).collect(Collectors.joining(", "));
      problems.add(
          "User '"
              + user
              + "' may not read "
              + (unreadable.size() == 1 ? "table " : "tables ")
              + unreadable.stream().map(TableId::toString).collect(Collectors.joining(", "))
              + ", which the snapshot and the publication need. Fix: GRANT SELECT ON "
              + names
              + " TO \""
              + user
              + "\";");
    }
    if (!missing.isEmpty()) {
      String names = missing.stream().map(TableId::toString).collect(Collectors.joining(", "));
      problems.add(
          (missing.size() == 1
                  ? "Table " + names + " does not exist"
                  : "Tables " + names + " do not exist")
              + " in database '"
              + database
              + "'. Check the names given to tables(...): they are schema-qualified and case-sensitive,"
              + " e.g. \"public.orders\"");
    }
    return problems;
  }

  /**
   * What about the listed tables forbids capturing them: a table (or a partition of a partitioned
   * table) without a replica identity, a partition listed beside its partitioned table, a
   * partitioned table on a server older than PostgreSQL 13.
   */
  List<String> configurationProblems(String publication) {
    List<String> problems = new ArrayList<>(3);
    List<ReplicaIdentity> unidentified =
        tables.values().stream()
            .flatMap(table -> table.identities().stream())
            .filter(identity -> !identity.identifiesRows())
            .toList();
    if (!unidentified.isEmpty()) {
      problems.add(withoutReplicaIdentity(unidentified, publication));
    }
    for (Table table : tables.values()) {
      String identityProblem = table.identityProblem();
      if (identityProblem != null) {
        problems.add(identityProblem);
      }
      TableId root = table.partitionRoot();
      if (root != null && tables.containsKey(root)) {
        problems.add(
            "Table "
                + table.id()
                + " is a partition of "
                + root
                + ", which is captured too: its changes arrive as changes of "
                + root
                + ". Fix: list only "
                + root
                + " (all its partitions), or only the partitions you want");
      }
    }
    if (serverVersion < PARTITION_ROOT_VERSION) {
      List<TableId> partitioned = partitioned();
      if (!partitioned.isEmpty()) {
        problems.add(
            "Partitioned "
                + (partitioned.size() == 1 ? "table " : "tables ")
                + partitioned.stream().map(TableId::toString).collect(Collectors.joining(", "))
                + " can be captured only from PostgreSQL 13 on (publish_via_partition_root), and this server runs "
                + serverVersion / 10000
                + ". Fix: upgrade PostgreSQL, or list the partitions themselves in tables(...)");
      }
    }
    return problems;
  }

  /** The problem of tables without a replica identity, naming each and both fixes. */
  static String withoutReplicaIdentity(List<ReplicaIdentity> unidentified, String publication) {
    String names =
        unidentified.stream()
            .map(identity -> identity.table() + " (" + identity.missingReason() + ")")
            .collect(Collectors.joining(", "));
    ReplicaIdentity first = unidentified.get(0);
    return (unidentified.size() == 1 ? "Table " : "Tables ")
        + names
        + (unidentified.size() == 1 ? " has" : " have")
        + " no replica identity: in publication '"
        + publication
        + "', PostgreSQL would refuse the application's own UPDATE and DELETE on "
        + (unidentified.size() == 1 ? "it" : "them")
        + " (\"cannot update table ... because it does not have a replica identity and publishes updates\")."
        + " Fix, for each: add a primary key, or run ALTER TABLE "
        + SqlIdentifiers.quote(first.table())
        + " REPLICA IDENTITY FULL; (or REPLICA IDENTITY USING INDEX with a unique index on NOT NULL columns)";
  }
}
