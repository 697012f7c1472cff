package io.datis.samples.jdbcsink;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Json;
import io.datis.api.event.Position;
import io.datis.api.event.Unchanged;
import io.datis.api.sink.Sink;
import io.datis.api.sink.SinkContext;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A custom sink: writes every change event as one row of a PostgreSQL table, an audit log or a
 * transactional outbox that other services read with SQL.
 *
 * <pre>{@code
 * Sink audit = new JdbcTableSink(dataSource::getConnection, "audit.datis_changes");
 * Datis.capture(source).tables("public.orders").to(audit).start();
 * }</pre>
 *
 * <p>How it keeps the {@link Sink} contract:
 *
 * <ul>
 *   <li><b>Completion means durable.</b> Each batch is one transaction (a JDBC batch insert); its
 *       stage completes once {@code COMMIT} returned.
 *   <li><b>Order, and a free pipeline thread.</b> Batches are written one after another on the
 *       sink's own thread, so rows land in commit order (the {@code id} column increases in that
 *       order).
 *   <li><b>At least once, stored once.</b> {@code event_id} is derived from the event's position,
 *       like Datis's Pub/Sub event ids ({@code 00000000016B3748-571-3}), and {@code ON CONFLICT DO
 *       NOTHING} skips an event delivered again. (A new snapshot has new positions, so its rows are
 *       new rows.)
 *   <li><b>Failure.</b> A failed batch is rolled back and its stage fails with the table, the
 *       SQLSTATE and PostgreSQL's short message, never the driver's full text, which can quote row
 *       values. The next batch reconnects.
 * </ul>
 *
 * <p>Key and row images are {@code jsonb} objects (which keep no column order): {@code json} values
 * embedded, {@code numeric} as exact plain text (JSON readers often turn numbers into doubles),
 * {@code bytea} in base64, dates, times and intervals as ISO-8601 text ({@code "infinity"} for
 * {@code Instant.MAX}), NaN and infinite floats as text, and an unchanged TOASTed column as {@value
 * #UNCHANGED}. The table, created at {@link #open} if it does not exist, is {@link
 * #createTableStatement(String)}. {@link ChangeEvent#destination()} is ignored.
 */
public final class JdbcTableSink implements Sink {

  /**
   * What a row image holds for a column PostgreSQL did not send because it is unchanged and
   * TOASTed.
   */
  public static final String UNCHANGED = "__datis_unchanged";

  private static final Pattern TABLE_NAME =
      Pattern.compile("([a-z_][a-z0-9_]*\\.)?[a-z_][a-z0-9_]*");
  private static final JsonFactory JSON = new JsonFactory();
  private static final long CLOSE_TIMEOUT_SECONDS = 30;

  private final Connector connector;
  private final String table;
  private final String insert;
  private volatile ExecutorService writer;
  private @Nullable Connection connection; // used by open(), then by the writer thread only

  /**
   * A sink writing to {@code table}.
   *
   * @param connector opens connections, e.g. {@code dataSource::getConnection}; the sink holds one
   *     at a time
   * @param table {@code table} or {@code schema.table}, lower-case letters, digits and {@code _}
   */
  public JdbcTableSink(Connector connector, String table) {
    this.connector = Objects.requireNonNull(connector, "connector");
    this.table = checkTableName(table);
    this.insert =
        """
        INSERT INTO %s (event_id, table_schema, table_name, operation, lsn, tx_id, tx_seq,
                        key, before, after, committed_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?)
        ON CONFLICT (event_id) DO NOTHING"""
            .formatted(table);
    this.writer = newWriter(table);
  }

  private static ExecutorService newWriter(String table) {
    return Executors.newSingleThreadExecutor(
        task -> {
          Thread thread = new Thread(task, "datis-jdbc-sink " + table);
          thread.setDaemon(true);
          return thread;
        });
  }

  /**
   * The {@code CREATE TABLE} statement of the table, for a DBA to run when the sink may not create
   * it.
   */
  public static String createTableStatement(String table) {
    return """
        CREATE TABLE %s (
          id           bigint GENERATED ALWAYS AS IDENTITY UNIQUE, -- increases in the order rows are written
          event_id     text PRIMARY KEY,      -- <lsn>-<txId>-<sequence>, the same on redelivery
          table_schema text NOT NULL,
          table_name   text NOT NULL,
          operation    text NOT NULL,         -- INSERT, UPDATE, DELETE, TRUNCATE or SNAPSHOT_READ
          lsn          bigint NOT NULL,
          tx_id        bigint NOT NULL,
          tx_seq       bigint NOT NULL,       -- the change's order within its transaction
          key          jsonb NOT NULL,        -- {} for truncates and tables without a key
          before       jsonb,
          after        jsonb,
          committed_at timestamptz NOT NULL,
          written_at   timestamptz NOT NULL DEFAULT now()
        )"""
        .formatted(checkTableName(table));
  }

  /**
   * Connects, and creates the table unless it exists; throws if either fails. Opens again after
   * {@link #close()}, as a pipeline among replicas does each time it becomes the active one.
   */
  @Override
  public void open(SinkContext context) throws SQLException {
    if (writer.isShutdown()) {
      writer = newWriter(table);
    }
    try {
      Connection opened = connection();
      try (PreparedStatement exists = opened.prepareStatement("SELECT to_regclass(?) IS NULL");
          PreparedStatement create = opened.prepareStatement(createTableStatement(table))) {
        exists.setString(1, table);
        try (ResultSet missing = exists.executeQuery()) {
          if (missing.next() && missing.getBoolean(1)) {
            create.execute();
          }
        }
      }
      opened.commit();
    } catch (SQLException e) {
      disconnect();
      throw redacted("JdbcTableSink could not open the table " + table, e);
    }
  }

  // [jdbc-sink]
  @Override
  public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
    // One writer thread: batches are written one at a time, in order, and the pipeline does not
    // wait.
    return CompletableFuture.runAsync(() -> writeInOneTransaction(batch), writer);
  }

  // [jdbc-sink]

  /** Lets the batches already delivered finish (up to 30 s), then disconnects. */
  @Override
  public void close() {
    if (writer.isShutdown()) {
      return;
    }
    writer.execute(this::disconnect);
    writer.shutdown();
    try {
      if (!writer.awaitTermination(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        writer
            .shutdownNow(); // the stages of batches not written stay incomplete: they are delivered
        // again
      }
    } catch (InterruptedException e) {
      writer.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void writeInOneTransaction(List<ChangeEvent> batch) {
    try {
      Connection current = connection();
      try (PreparedStatement rows = current.prepareStatement(insert)) {
        for (ChangeEvent event : batch) {
          Position position = event.position();
          rows.setString(1, eventId(position));
          rows.setString(2, event.table().schema());
          rows.setString(3, event.table().table());
          rows.setString(4, event.operation().name());
          rows.setLong(5, position.lsn());
          rows.setLong(6, position.transactionId());
          rows.setLong(7, position.sequence());
          rows.setString(8, toJson(event.key()));
          rows.setString(9, toJson(event.before().orElse(null)));
          rows.setString(10, toJson(event.after().orElse(null)));
          rows.setObject(11, OffsetDateTime.ofInstant(event.commitTime(), ZoneOffset.UTC));
          rows.addBatch();
        }
        rows.executeBatch();
      }
      current.commit();
    } catch (SQLException e) {
      disconnect(); // rolls the transaction back; the next batch starts on a new connection
      throw new CompletionException(
          redacted(
              "JdbcTableSink could not write a batch of " + batch.size() + " events to " + table,
              e));
    }
  }

  /**
   * {@code <lsn>-<txId>-<sequence>}, the LSN in 16 hex digits: the same each time the event is
   * delivered.
   */
  static String eventId(Position position) {
    return String.format(
        "%016X-%d-%d", position.lsn(), position.transactionId(), position.sequence());
  }

  private Connection connection() throws SQLException {
    Connection current = connection;
    if (current == null || current.isClosed()) {
      current = connector.connect();
      current.setAutoCommit(false);
      connection = current;
    }
    return current;
  }

  private void disconnect() {
    Connection current = connection;
    connection = null;
    if (current != null) {
      try {
        current.close();
      } catch (SQLException ignored) {
        // closing a broken connection: nothing left to do
      }
    }
  }

  /**
   * Keeps the SQLSTATE and the first line of PostgreSQL's message: the driver adds the error's
   * detail and, for a batch, the statement with its parameters, both of which can hold row values.
   */
  private static SQLException redacted(String what, SQLException e) {
    SQLException error = e;
    while (error instanceof BatchUpdateException && error.getNextException() != null) {
      error = error.getNextException();
    }
    String reason =
        error instanceof BatchUpdateException
            ? "the batch insert was aborted"
            : String.valueOf(error.getMessage()).lines().findFirst().orElse("").strip();
    String state = error.getSQLState();
    SQLException safe = new SQLException(what + ": SQLSTATE " + state + ", " + reason, state);
    safe.setStackTrace(e.getStackTrace());
    return safe;
  }

  private static String checkTableName(String table) {
    Objects.requireNonNull(table, "table");
    if (!TABLE_NAME.matcher(table).matches()) {
      throw new IllegalArgumentException(
          "Table name '"
              + table
              + "' is not a plain SQL name: write table or schema.table with lower-case"
              + " letters, digits and _ only, e.g. audit.datis_changes");
    }
    return table;
  }

  private static @Nullable String toJson(@Nullable Map<String, @Nullable Object> row) {
    if (row == null) {
      return null;
    }
    StringWriter text = new StringWriter();
    try (JsonGenerator json = JSON.createGenerator(text)) {
      write(json, row);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not thrown when writing to a StringWriter
    }
    return text.toString();
  }

  private static void write(JsonGenerator json, @Nullable Object value) throws IOException {
    if (value == null) {
      json.writeNull();
    } else if (value instanceof Json) {
      json.writeRawValue(((Json) value).text());
    } else if (value == Unchanged.VALUE) {
      json.writeString(UNCHANGED);
    } else if (value instanceof Boolean) {
      json.writeBoolean((Boolean) value);
    } else if (value instanceof BigDecimal) {
      json.writeString(((BigDecimal) value).toPlainString());
    } else if ((value instanceof Double || value instanceof Float)
        && !Double.isFinite(((Number) value).doubleValue())) {
      json.writeString(value.toString()); // NaN, Infinity, -Infinity: not JSON numbers
    } else if (value instanceof Number) {
      json.writeNumber(
          value.toString()); // Short, Integer, Long, Float, Double as Java prints them: 0.1f is 0.1
    } else if (value instanceof byte[]) {
      json.writeString(Base64.getEncoder().encodeToString((byte[]) value));
    } else if (value.equals(Instant.MAX) || value.equals(Instant.MIN)) {
      json.writeString(
          value.equals(Instant.MAX) ? "infinity" : "-infinity"); // timestamptz 'infinity'
    } else if (value instanceof List) {
      json.writeStartArray();
      for (Object element : (List<?>) value) {
        write(json, element);
      }
      json.writeEndArray();
    } else if (value instanceof Map) {
      json.writeStartObject();
      for (Map.Entry<?, ?> column : ((Map<?, ?>) value).entrySet()) {
        json.writeFieldName(String.valueOf(column.getKey()));
        write(json, column.getValue());
      }
      json.writeEndObject();
    } else {
      json.writeString(value.toString()); // String, UUID, java.time types and Interval: ISO-8601
    }
  }

  /** Opens a JDBC connection, e.g. {@code dataSource::getConnection}. */
  @FunctionalInterface
  public interface Connector {

    /** Opens a new connection; the sink closes it. */
    Connection connect() throws SQLException;
  }
}
