package io.datis.internal;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-event cost of turning a Debezium PostgreSQL record into a {@code ChangeEvent}: records
 * shaped like the connector's envelope (with transaction metadata, as Datis configures it) for an
 * orders table of seven columns, one of them a ~100-byte text payload.
 *
 * <p>Lives in {@code io.datis.internal} because {@link RecordConverter} is package-private.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class RecordConverterBenchmark {

  private static final int RECORDS = 1024;
  private static final String PREFIX = "datis_bench";

  private RecordConverter converter;
  private SourceRecord[] inserts;
  private SourceRecord[] updates;
  private int next;

  @Setup
  public void setUp() {
    converter = new RecordConverter(PREFIX, Map.of());
    Schema key =
        SchemaBuilder.struct()
            .name(PREFIX + ".public.orders.Key")
            .field("id", Schema.INT64_SCHEMA)
            .build();
    Schema row =
        SchemaBuilder.struct()
            .name(PREFIX + ".public.orders.Value")
            .optional()
            .field("id", Schema.INT64_SCHEMA)
            .field("customer_id", Schema.OPTIONAL_INT32_SCHEMA)
            .field("status", Schema.OPTIONAL_STRING_SCHEMA)
            .field("total", Decimal.builder(2).optional().build())
            .field(
                "created_at",
                SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").optional().build())
            .field(
                "updated_at",
                SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").optional().build())
            .field("payload", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    Schema source =
        SchemaBuilder.struct()
            .name("io.debezium.connector.postgresql.Source")
            .field("version", Schema.STRING_SCHEMA)
            .field("connector", Schema.STRING_SCHEMA)
            .field("name", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA)
            .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
            .field("db", Schema.STRING_SCHEMA)
            .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
            .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
            .field("schema", Schema.STRING_SCHEMA)
            .field("table", Schema.STRING_SCHEMA)
            .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
            .field("xmin", Schema.OPTIONAL_INT64_SCHEMA)
            .build();
    Schema transaction =
        SchemaBuilder.struct()
            .name("event.block")
            .optional()
            .field("id", Schema.STRING_SCHEMA)
            .field("total_order", Schema.INT64_SCHEMA)
            .field("data_collection_order", Schema.INT64_SCHEMA)
            .build();
    Schema envelope =
        SchemaBuilder.struct()
            .name(PREFIX + ".public.orders.Envelope")
            .field("before", row)
            .field("after", row)
            .field("source", source)
            .field("transaction", transaction)
            .field("op", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
            .build();
    inserts = new SourceRecord[RECORDS];
    updates = new SourceRecord[RECORDS];
    long micros = Instant.parse("2026-01-15T10:00:00Z").toEpochMilli() * 1000;
    for (int i = 0; i < RECORDS; i++) {
      long id = 1_000 + i;
      long lsn = 0x1A2B3C4DL + 128L * i;
      Struct keyValue = new Struct(key).put("id", id);
      Struct after = row(row, id, "NEW", micros);
      Struct sourceValue =
          new Struct(source)
              .put("version", "3.6.1.Final")
              .put("connector", "postgresql")
              .put("name", PREFIX)
              .put("ts_ms", micros / 1000)
              .put("snapshot", "false")
              .put("db", "postgres")
              .put("sequence", "[\"" + (lsn - 64) + "\",\"" + lsn + "\"]")
              .put("ts_us", micros)
              .put("ts_ns", micros * 1000)
              .put("schema", "public")
              .put("table", "orders")
              .put("txId", 800L + i / 10)
              .put("lsn", lsn);
      Struct block =
          new Struct(transaction)
              .put("id", (800 + i / 10) + ":" + lsn)
              .put("total_order", (long) (i % 10 + 1))
              .put("data_collection_order", (long) (i % 10 + 1));
      Map<String, Long> offset = Map.of("lsn", lsn, "txId", 800L + i / 10, "ts_usec", micros);
      Struct insert = envelope(envelope, null, after, sourceValue, block, "c", micros);
      Struct update =
          envelope(
              envelope,
              row(row, id, "NEW", micros),
              row(row, id, "PAID", micros + 5),
              sourceValue,
              block,
              "u",
              micros);
      inserts[i] = record(offset, key, keyValue, envelope, insert);
      updates[i] = record(offset, key, keyValue, envelope, update);
    }
  }

  private static Struct row(Schema schema, long id, String status, long micros) {
    return new Struct(schema)
        .put("id", id)
        .put("customer_id", (int) (id % 977))
        .put("status", status)
        .put("total", new BigDecimal("1234.50").add(BigDecimal.valueOf(id, 2)))
        .put("created_at", "2026-01-15T10:00:00.123456Z")
        .put("updated_at", micros)
        .put("payload", "0123456789abcdef".repeat(6) + "0123");
  }

  private static Struct envelope(
      Schema schema,
      Struct before,
      Struct after,
      Struct source,
      Struct block,
      String op,
      long micros) {
    return new Struct(schema)
        .put("before", before)
        .put("after", after)
        .put("source", source)
        .put("transaction", block)
        .put("op", op)
        .put("ts_ms", micros / 1000 + 3)
        .put("ts_us", micros + 3_000)
        .put("ts_ns", (micros + 3_000) * 1000);
  }

  private static SourceRecord record(
      Map<String, Long> offset, Schema keySchema, Struct key, Schema valueSchema, Struct value) {
    return new SourceRecord(
        Map.of("server", PREFIX),
        offset,
        PREFIX + ".public.orders",
        null,
        keySchema,
        key,
        valueSchema,
        value,
        0L);
  }

  private int index() {
    int current = next;
    next = (current + 1) & (RECORDS - 1);
    return current;
  }

  /** An INSERT: kind check plus conversion, as the pipeline does per record. */
  @Benchmark
  public Object insert() {
    SourceRecord record = inserts[index()];
    return converter.kindOf(record) == RecordConverter.Kind.CHANGE
        ? converter.toChangeEvent(record)
        : null;
  }

  /** An UPDATE with the whole old row (replica identity FULL). */
  @Benchmark
  public Object updateWithOldRow() {
    SourceRecord record = updates[index()];
    return converter.kindOf(record) == RecordConverter.Kind.CHANGE
        ? converter.toChangeEvent(record)
        : null;
  }
}
