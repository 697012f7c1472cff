package io.datis.internal;

import io.datis.OffsetStore;
import io.datis.api.SourceException;
import io.datis.api.event.TableId;
import io.datis.postgres.PostgresSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a pipeline has offsets in its store, and forgetting them: what tells a pipeline that ran
 * before from a new one, outside the Debezium engine that otherwise owns the store.
 */
final class StoredOffsets {

  /** The WAL positions in Debezium's PostgreSQL offsets, as its JSON converter writes them. */
  private static final Pattern LSN = Pattern.compile("\"lsn(?:_proc|_commit)?\"\\s*:\\s*(\\d+)");

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
    return !values().isEmpty();
  }

  /**
   * The furthest WAL position in the pipeline's offsets: the engine resumes there and skips what
   * lies before; empty if there are none.
   *
   * @throws SourceException if the offsets cannot be read
   */
  OptionalLong position() {
    long furthest = -1;
    for (String value : values()) {
      Matcher lsn = LSN.matcher(value);
      while (lsn.find()) {
        furthest = Math.max(furthest, Long.parseLong(lsn.group(1)));
      }
    }
    return furthest < 0 ? OptionalLong.empty() : OptionalLong.of(furthest);
  }

  /** The pipeline's stored offset values, as text; empty if there are none (or no store). */
  private List<String> values() {
    List<String> values = new ArrayList<>();
    try {
      Path file = store.file().orElse(null);
      if (file != null) {
        for (ByteBuffer value : new OffsetFile(file).read().values()) {
          values.add(StandardCharsets.UTF_8.decode(value.duplicate()).toString());
        }
        return values;
      }
      TableId table = store.table().orElse(null);
      if (table == null) {
        return values;
      }
      try (Connection connection = connect();
          PreparedStatement statement =
              connection.prepareStatement(
                  "SELECT offset_value FROM "
                      + SqlIdentifiers.quote(table)
                      + " WHERE pipeline = ?")) {
        statement.setString(1, pipeline);
        try (ResultSet rows = statement.executeQuery()) {
          while (rows.next()) {
            values.add(new String(rows.getBytes(1), StandardCharsets.UTF_8));
          }
        }
      } catch (SQLException e) {
        if (!"42P01".equals(e.getSQLState())) {
          throw e; // else no offsets table yet
        }
      }
      return values;
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
