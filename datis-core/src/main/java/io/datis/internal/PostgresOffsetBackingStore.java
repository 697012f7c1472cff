package io.datis.internal;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;
import org.jspecify.annotations.Nullable;

/**
 * Keeps a pipeline's offsets in a PostgreSQL table, so that a process without a persistent disk
 * resumes where it stopped. Each flush writes all of the pipeline's offsets in one transaction.
 * Rows are keyed by pipeline name, so several pipelines can share the table. The engine
 * instantiates this class by name.
 */
public final class PostgresOffsetBackingStore extends MemoryOffsetBackingStore {

  static final String URL = "datis.offsets.jdbc.url";
  static final String USER = "datis.offsets.jdbc.user";
  static final String PASSWORD = "datis.offsets.jdbc.password";
  static final String TABLE = "datis.offsets.table";
  static final String PIPELINE = "datis.offsets.pipeline";

  private @Nullable String url;
  private final Properties connectionProperties = new Properties();
  private String table = "";
  private String pipeline = "";
  private @Nullable Connection connection;

  /** Created by the Debezium engine. */
  public PostgresOffsetBackingStore() {}

  @Override
  public void configure(WorkerConfig config) {
    super.configure(config);
    Map<String, Object> settings = config.originals();
    url = (String) settings.get(URL);
    connectionProperties.setProperty("user", String.valueOf(settings.get(USER)));
    connectionProperties.setProperty(
        "password", String.valueOf(settings.getOrDefault(PASSWORD, "")));
    connectionProperties.setProperty("ApplicationName", "datis-offsets");
    table = String.valueOf(settings.get(TABLE));
    pipeline = String.valueOf(settings.get(PIPELINE));
  }

  @Override
  public synchronized void start() {
    super.start();
    try {
      Connection open = connection();
      try (Statement statement = open.createStatement()) {
        statement.execute(createTableStatement(table));
      }
      Map<ByteBuffer, ByteBuffer> loaded = new HashMap<>();
      try (PreparedStatement select =
          open.prepareStatement(
              "SELECT offset_key, offset_value FROM " + table + " WHERE pipeline = ?")) {
        select.setString(1, pipeline);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            byte[] value = rows.getBytes(2);
            loaded.put(
                ByteBuffer.wrap(rows.getBytes(1)), value == null ? null : ByteBuffer.wrap(value));
          }
        }
      }
      data.putAll(loaded);
    } catch (SQLException e) {
      throw new ConnectException(
          "Cannot read offsets from table "
              + table
              + " ("
              + e.getMessage()
              + "): the user needs to create or read it",
          e);
    }
  }

  /** Creates the offsets table (a quoted, qualified name) if it is missing. */
  static String createTableStatement(String table) {
    return "CREATE TABLE IF NOT EXISTS "
        + table
        + " (pipeline text NOT NULL, offset_key bytea NOT NULL, offset_value bytea,"
        + " updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (pipeline, offset_key))";
  }

  /** Writes one value (pipeline, key, value) of the offsets table (a quoted, qualified name). */
  static String upsertStatement(String table) {
    return "INSERT INTO "
        + table
        + " (pipeline, offset_key, offset_value, updated_at) VALUES (?, ?, ?, now())"
        + " ON CONFLICT (pipeline, offset_key) DO UPDATE SET offset_value = EXCLUDED.offset_value,"
        + " updated_at = now()";
  }

  /**
   * Deletes every row the offsets table (a quoted, qualified name) holds under a pipeline name; a
   * missing table holds none.
   */
  static void deletePipeline(Connection connection, String table, String pipeline)
      throws SQLException {
    try (PreparedStatement delete =
        connection.prepareStatement("DELETE FROM " + table + " WHERE pipeline = ?")) {
      delete.setString(1, pipeline);
      delete.executeUpdate();
    } catch (SQLException e) {
      if (!"42P01".equals(e.getSQLState())) {
        throw e;
      }
    }
  }

  @Override
  protected synchronized void save() {
    try {
      Connection open = connection();
      open.setAutoCommit(false);
      try (PreparedStatement upsert = open.prepareStatement(upsertStatement(table))) {
        for (Map.Entry<ByteBuffer, ByteBuffer> entry : data.entrySet()) {
          upsert.setString(1, pipeline);
          upsert.setBytes(2, bytes(entry.getKey()));
          upsert.setBytes(3, entry.getValue() == null ? null : bytes(entry.getValue()));
          upsert.addBatch();
        }
        upsert.executeBatch();
        open.commit();
      } catch (SQLException e) {
        open.rollback();
        throw e;
      } finally {
        open.setAutoCommit(true);
      }
    } catch (SQLException e) {
      closeConnection(); // reconnect on the next flush
      throw new ConnectException(
          "Cannot write offsets to table " + table + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void stop() {
    super.stop();
    closeConnection();
  }

  @Override
  public Set<Map<String, Object>> connectorPartitions(String connectorName) {
    return Set.of();
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = DriverManager.getConnection(url, connectionProperties);
    }
    return connection;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // already broken
      }
      connection = null;
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
