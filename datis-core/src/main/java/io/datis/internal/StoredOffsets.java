package io.datis.internal;

import io.datis.OffsetStore;
import io.datis.api.SourceException;
import io.datis.api.event.TableId;
import io.datis.postgres.PostgresSource;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Whether a pipeline has offsets in its store, and forgetting them: what tells a pipeline that ran
 * before from a new one, outside the Debezium engine that otherwise owns the store.
 */
final class StoredOffsets {

  private final OffsetStore store;
  private final PostgresSource source;
  private final String pipeline;

  StoredOffsets(OffsetStore store, PostgresSource source, String pipeline) {
    this.store = store;
    this.source = source;
    this.pipeline = pipeline;
  }

  /**
   * Whether the pipeline committed offsets before; never for an in-memory store.
   *
   * @throws SourceException if the offsets cannot be read, say a damaged offsets file
   */
  boolean exist() {
    try {
      Path file = store.file().orElse(null);
      if (file != null) {
        return !new OffsetFile(file).read().isEmpty();
      }
      TableId table = store.table().orElse(null);
      if (table == null) {
        return false;
      }
      try (Connection connection = connect();
          PreparedStatement statement =
              connection.prepareStatement(
                  "SELECT to_regclass(?) IS NOT NULL AND EXISTS (SELECT 1 FROM "
                      + SqlIdentifiers.quote(table)
                      + " WHERE pipeline = ?)")) {
        statement.setString(1, SqlIdentifiers.quote(table));
        statement.setString(2, pipeline);
        try (ResultSet row = statement.executeQuery()) {
          return row.next() && row.getBoolean(1);
        }
      } catch (SQLException e) {
        if ("42P01".equals(e.getSQLState())) {
          return false; // no offsets table yet
        }
        throw e;
      }
    } catch (IOException | SQLException e) {
      throw new SourceException(
          "Cannot read the stored offsets of " + store + ": " + e.getMessage(), e);
    }
  }

  /** Deletes the pipeline's offsets (and its slot marker), so that it starts as a new pipeline. */
  void clear() {
    try {
      new SlotMarker(store, source, pipeline).clear();
      Path file = store.file().orElse(null);
      if (file != null) {
        new OffsetFile(file).delete();
        return;
      }
      TableId table = store.table().orElse(null);
      if (table == null) {
        return;
      }
      try (Connection connection = connect()) {
        PostgresOffsetBackingStore.deletePipeline(
            connection, SqlIdentifiers.quote(table), pipeline);
      }
    } catch (IOException | SQLException e) {
      throw new SourceException(
          "Cannot delete the stored offsets in " + store + ": " + e.getMessage(), e);
    }
  }

  private Connection connect() throws SQLException {
    PostgresSource database = store.database().orElse(source);
    return SourceConnections.open(database, pipeline);
  }
}
