package io.datis.samples.jdbcsink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.testkit.ChangeEvents;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.SinkCompatibilityKit;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link JdbcTableSink} passes the sink compatibility kit against a real embedded PostgreSQL,
 * writing as a role that owns only its schema; what was delivered is read back from the table. The
 * tests below the kit's check what is particular to this sink: stored once, failure messages, JSON
 * values.
 */
class JdbcTableSinkCompatibilityTest extends SinkCompatibilityKit {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final String WRITER = "datis_writer";
  private static final String WRITER_PASSWORD = "writer-pw-7f3a";
  private static final AtomicInteger TABLES = new AtomicInteger();
  private static final ObjectMapper JSON = new ObjectMapper();

  private String table = "";

  @BeforeAll
  static void createWriterRoleAndSchema() {
    pg.execute(
        "CREATE ROLE " + WRITER + " LOGIN PASSWORD '" + WRITER_PASSWORD + "'",
        "CREATE SCHEMA audit AUTHORIZATION " + WRITER);
  }

  @Override
  protected JdbcTableSink createSink() {
    table = "audit.changes_" + TABLES.incrementAndGet();
    return new JdbcTableSink(
        () -> DriverManager.getConnection(pg.jdbcUrl(), WRITER, WRITER_PASSWORD), table);
  }

  @Override
  protected List<DeliveredEvent> delivered() {
    return pg.query(
        "SELECT table_schema, table_name, operation, lsn, tx_id, tx_seq, key::text FROM "
            + table
            + " ORDER BY id",
        row ->
            DeliveredEvent.of(
                TableId.of(row.getString(1), row.getString(2)),
                Operation.valueOf(row.getString(3)),
                Position.of(row.getLong(4), row.getLong(5), row.getLong(6)),
                keyAsText(row.getString(7))));
  }

  @Override
  protected void makeDestinationFail() {
    pg.execute("REVOKE INSERT ON " + table + " FROM " + WRITER);
  }

  @Override
  protected Duration timeout() {
    return Duration.ofSeconds(
        60); // the machine may be busy: the kit's 2,000-event batch is one transaction
  }

  // ------------------------------------------------------------------ this sink's own behaviour

  @Test
  void storesABatchDeliveredAgainOnlyOnce() throws Exception {
    List<ChangeEvent> batch =
        List.of(
            ChangeEvents.insert("public.orders").key("id", 1).column("status", "new").build(),
            ChangeEvents.update("public.orders").key("id", 1).column("status", "paid").build(),
            ChangeEvents.delete("public.orders").key("id", 1).build());
    try (JdbcTableSink sink = openedSink()) {
      awaitDone(sink.deliver(batch));
      awaitDone(sink.deliver(batch));
      awaitDone(sink.deliver(batch.subList(1, 3)));
    }

    assertThat(
            pg.query(
                "SELECT event_id, operation FROM " + table + " ORDER BY id",
                row -> row.getString(1) + " " + row.getString(2)))
        .containsExactly(
            JdbcTableSink.eventId(batch.get(0).position()) + " INSERT",
            JdbcTableSink.eventId(batch.get(1).position()) + " UPDATE",
            JdbcTableSink.eventId(batch.get(2).position()) + " DELETE");
  }

  @Test
  void failsTheBatchWithTheTableAndSqlStateButNoRowValueNorPassword() throws Exception {
    ChangeEvent secret =
        ChangeEvents.insert("public.users").key("id", 7).column("ssn", "078-05-1120").build();
    try (JdbcTableSink sink = openedSink()) {
      makeDestinationFail();

      CompletionStage<Void> stage = sink.deliver(List.of(secret));

      assertThatThrownBy(() -> stage.toCompletableFuture().get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(SQLException.class)
          .hasMessage(
              "JdbcTableSink could not write a batch of 1 events to "
                  + table
                  + ": SQLSTATE 42501, ERROR: permission denied for table "
                  + table.substring("audit.".length()))
          .hasNoCause()
          .satisfies(e -> assertThat(e.toString()).doesNotContain("078-05-1120", WRITER_PASSWORD));
    }
  }

  @Test
  void writesValuesAsJsonThatReadsBackExactly() throws Exception {
    ChangeEvent update =
        ChangeEvents.update("public.values")
            .key("id", 1L)
            .column("total", new BigDecimal("12345678901234567890.000000000000000000001"))
            .column("ratio", 0.1f)
            .column("missing", Double.NaN)
            .column("photo", new byte[] {0, 1, (byte) 0xFE, (byte) 0xFF})
            .column("doc", Json.of("{\"tags\":[\"a\",null],\"n\":2.50}"))
            .column("day", LocalDate.of(2026, 1, 2))
            .column("at", LocalDateTime.of(2026, 1, 2, 3, 4, 5, 123_456_000))
            .column("until", Instant.MAX)
            .column("span", Interval.of(14, 3, 4_500_000L))
            .column("sizes", List.of(1, 2))
            .column("note", null)
            .unchanged("body")
            .build();
    try (JdbcTableSink sink = openedSink()) {
      awaitDone(sink.deliver(List.of(update)));
    }

    String after = pg.query("SELECT after::text FROM " + table, row -> row.getString(1)).get(0);
    assertThat(JSON.readTree(after))
        .isEqualTo(
            JSON.readTree(
                "{\"id\": 1, \"total\": \"12345678901234567890.000000000000000000001\", \"ratio\": 0.1,"
                    + " \"missing\": \"NaN\", \"photo\": \"AAH+/w==\", \"doc\": {\"tags\": [\"a\", null], \"n\": 2.50},"
                    + " \"day\": \"2026-01-02\", \"at\": \"2026-01-02T03:04:05.123456\", \"until\": \"infinity\","
                    + " \"span\": \"P1Y2M3DT0H0M4.5S\", \"sizes\": [1, 2], \"note\": null,"
                    + " \"body\": \"__datis_unchanged\"}"));
    assertThat(
            pg.query(
                "SELECT key::text, before IS NULL FROM " + table,
                row -> row.getString(1) + " " + row.getBoolean(2)))
        .containsExactly("{\"id\": 1} true");
  }

  @Test
  void refusesATableNameThatIsNotAPlainSqlName() {
    assertThatThrownBy(() -> new JdbcTableSink(pg::connect, "audit.changes; DROP TABLE orders"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Table name 'audit.changes; DROP TABLE orders' is not a plain SQL name: write table or schema.table"
                + " with lower-case letters, digits and _ only, e.g. audit.datis_changes");
  }

  // ------------------------------------------------------------------ helpers

  private JdbcTableSink openedSink() throws Exception {
    JdbcTableSink sink = createSink();
    sink.open(sinkContext());
    return sink;
  }

  private static void awaitDone(CompletionStage<Void> stage) throws Exception {
    stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** The key's values as text, as the kit compares them: {@code {"id": 1}} is {@code id=1}. */
  private static Map<String, String> keyAsText(String json) throws SQLException {
    try {
      Map<String, String> key = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> column : JSON.readTree(json).properties()) {
        key.put(column.getKey(), column.getValue().asText());
      }
      return key;
    } catch (IOException e) {
      throw new SQLException("The key column holds no JSON object: " + json, e);
    }
  }
}
