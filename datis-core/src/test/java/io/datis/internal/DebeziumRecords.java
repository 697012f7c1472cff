package io.datis.internal;

import io.datis.api.event.TableId;
import io.debezium.engine.RecordChangeEvent;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;

/**
 * Records shaped as Debezium's PostgreSQL connector emits them, for tests that run without
 * PostgreSQL.
 */
final class DebeziumRecords {

  /** The topic prefix the records carry. */
  static final String PREFIX = "datis_test";

  static final Schema SOURCE =
      SchemaBuilder.struct()
          .field("schema", Schema.STRING_SCHEMA)
          .field("table", Schema.STRING_SCHEMA)
          .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
          .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
          .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
          .build();
  private static final Schema ROW =
      SchemaBuilder.struct().optional().field("id", Schema.INT32_SCHEMA).build();
  private static final Schema END =
      SchemaBuilder.struct().field("status", Schema.STRING_SCHEMA).build();

  private DebeziumRecords() {}

  /**
   * A change of the row with id 1; {@code snapshot} is Debezium's snapshot marker, null when
   * streaming.
   */
  static RecordChangeEvent<SourceRecord> change(
      TableId table, String op, long lsn, @Nullable String snapshot) {
    Struct row = new Struct(ROW).put("id", 1);
    SourceRecord record =
        new SourceRecord(
            Map.of(),
            Map.of("lsn", lsn),
            PREFIX + "." + table,
            null,
            null,
            envelope(ROW, row, table, op, lsn, snapshot));
    return () -> record;
  }

  static Struct envelope(
      Schema rowSchema, Struct row, TableId table, String op, long lsn, @Nullable String snapshot) {
    Schema schema =
        SchemaBuilder.struct()
            .field("before", rowSchema)
            .field("after", rowSchema)
            .field("source", SOURCE)
            .field("op", Schema.STRING_SCHEMA)
            .build();
    Struct source =
        new Struct(SOURCE)
            .put("schema", table.schema())
            .put("table", table.table())
            .put("lsn", lsn)
            .put("txId", 7L)
            .put("ts_us", 1_000_000L)
            .put("snapshot", snapshot);
    return new Struct(schema).put("after", row).put("source", source).put("op", op);
  }

  /** A transaction's END record, committed at {@code lsn}. */
  static RecordChangeEvent<SourceRecord> end(long lsn) {
    SourceRecord record =
        new SourceRecord(
            Map.of(),
            Map.of("lsn_commit", lsn),
            PREFIX + ".transaction",
            null,
            null,
            new Struct(END).put("status", "END"));
    return () -> record;
  }
}
