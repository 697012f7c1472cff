package io.datis.internal;

import io.datis.api.ConfigurationException;
import io.datis.api.SourceException;
import io.datis.api.event.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the pipeline's publication publish exactly its tables: creates it if missing, or sets its
 * table list. From PostgreSQL 13 on, it publishes a partitioned table's changes under the
 * partitioned table's own name ({@code publish_via_partition_root}), which is how Datis captures
 * them; a publication Datis did not create and that publishes them under the partitions' names is
 * refused, since the changes would never match the captured table.
 */
final class PublicationSync {

  private static final Logger log = LoggerFactory.getLogger(PublicationSync.class);

  /** Marks a publication Datis created, so that Datis may change its options. */
  static final String COMMENT_PREFIX = "Created by Datis for pipeline ";

  private final PipelineSettings settings;
  private final int serverVersion;

  PublicationSync(PipelineSettings settings, int serverVersion) {
    this.settings = settings;
    this.serverVersion = serverVersion;
  }

  /** The publication as it stands. */
  private record Existing(
      boolean allTables, boolean viaRoot, @Nullable String comment, Set<TableId> tables) {}

  /**
   * Creates or updates the publication for the given tables, of which {@code partitioned} are
   * partitioned tables, published through their root.
   */
  void sync(Connection connection, Set<TableId> wanted, List<TableId> partitioned) {
    String publication = settings.publicationName();
    String quoted = SqlIdentifiers.quote(publication);
    String tableList = wanted.stream().map(SqlIdentifiers::quote).collect(Collectors.joining(", "));
    boolean viaRootKnown = serverVersion >= CapturedTables.PARTITION_ROOT_VERSION;
    List<String> statements = new ArrayList<>(2);
    try {
      Existing existing = read(connection, publication, viaRootKnown);
      if (existing == null) {
        statements.add(
            "CREATE PUBLICATION "
                + quoted
                + " FOR TABLE "
                + tableList
                + (viaRootKnown ? " WITH (publish_via_partition_root = true)" : ""));
        statements.add(
            "COMMENT ON PUBLICATION "
                + quoted
                + " IS '"
                + (COMMENT_PREFIX + settings.name()).replace("'", "''")
                + "'");
      } else {
        if (!partitioned.isEmpty() && !existing.viaRoot()) {
          if (!createdByDatis(existing)) {
            throw new ConfigurationException(
                "Pipeline '" + settings.name() + "' cannot start",
                List.of(
                    "Publication '"
                        + publication
                        + "' publishes the changes of partitioned tables under their partitions' names, so"
                        + " changes of the partitioned "
                        + (partitioned.size() == 1 ? "table " : "tables ")
                        + partitioned.stream()
                            .map(TableId::toString)
                            .collect(Collectors.joining(", "))
                        + " would never arrive. Fix: run ALTER PUBLICATION "
                        + quoted
                        + " SET (publish_via_partition_root = true);"));
          }
          statements.add(
              "ALTER PUBLICATION " + quoted + " SET (publish_via_partition_root = true)");
        }
        if (!existing.allTables() && !wanted.equals(existing.tables())) {
          statements.add("ALTER PUBLICATION " + quoted + " SET TABLE " + tableList);
        }
      }
      if (!statements.isEmpty()) {
        try (Statement statement = connection.createStatement()) {
          for (String sql : statements) {
            statement.execute(sql);
          }
        }
        log.info("Publication '{}' now publishes {}", publication, wanted);
      }
    } catch (SQLException e) {
      String fix =
          statements.isEmpty()
              ? "CREATE PUBLICATION " + quoted + " FOR TABLE " + tableList
              : String.join("; ", statements);
      throw new SourceException(
          "Cannot prepare publication '"
              + publication
              + "' for "
              + wanted
              + ": "
              + e.getMessage()
              + ". Fix: as the owner of the tables run "
              + fix
              + ";",
          e);
    }
  }

  /**
   * The tables the publication lists now; {@code null} if it does not exist yet or publishes all
   * tables.
   */
  @Nullable Set<TableId> published(Connection connection) throws SQLException {
    Existing existing =
        read(
            connection,
            settings.publicationName(),
            serverVersion >= CapturedTables.PARTITION_ROOT_VERSION);
    return existing == null || existing.allTables() ? null : existing.tables();
  }

  /**
   * Adds a table to the publication if it exists and lacks it, on its own, so that changes of the
   * table made right after are published.
   */
  void include(Connection connection, TableId table) throws SQLException {
    Set<TableId> published = published(connection);
    if (published != null && !published.contains(table)) {
      try (Statement statement = connection.createStatement()) {
        statement.execute(
            "ALTER PUBLICATION "
                + SqlIdentifiers.quote(settings.publicationName())
                + " ADD TABLE "
                + SqlIdentifiers.quote(table));
      }
    }
  }

  /**
   * Whether Datis created the publication: it carries Datis's comment, or (created before Datis
   * marked its publications) it has the name Datis derives from the pipeline's.
   */
  private boolean createdByDatis(Existing existing) {
    String comment = existing.comment();
    if (comment != null && comment.startsWith(COMMENT_PREFIX)) {
      return true;
    }
    return settings.publicationName().equals(PipelineSettings.derivedName(settings.name()));
  }

  private static @Nullable Existing read(
      Connection connection, String publication, boolean viaRootKnown) throws SQLException {
    boolean allTables;
    boolean viaRoot;
    String comment;
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT p.puballtables, "
                + (viaRootKnown ? "p.pubviaroot" : "false")
                + ", obj_description(p.oid, 'pg_publication') FROM pg_publication p WHERE p.pubname = ?")) {
      statement.setString(1, publication);
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          return null;
        }
        allTables = row.getBoolean(1);
        viaRoot = row.getBoolean(2);
        comment = row.getString(3);
      }
    }
    return new Existing(allTables, viaRoot, comment, publishedTables(connection, publication));
  }

  /**
   * The tables the publication lists; with {@code publish_via_partition_root}, {@code
   * pg_publication_tables} shows a listed partitioned table itself, not its partitions.
   */
  private static Set<TableId> publishedTables(Connection connection, String publication)
      throws SQLException {
    Set<TableId> tables = new LinkedHashSet<>();
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
      statement.setString(1, publication);
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          tables.add(TableId.of(rows.getString(1), rows.getString(2)));
        }
      }
    }
    return tables;
  }
}
