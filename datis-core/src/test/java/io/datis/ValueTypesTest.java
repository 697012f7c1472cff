package io.datis;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every PostgreSQL type in the README's table arrives as its documented Java value, NULL as null. */
class ValueTypesTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private record Column(String name, String type, String literal, @Nullable Object expected) {}

  private static final List<Column> COLUMNS =
      List.of(
          new Column("c_smallint", "smallint", "-32768", (short) -32768),
          new Column("c_int", "integer", "2147483647", 2147483647),
          new Column("c_bigint", "bigint", "-9223372036854775808", Long.MIN_VALUE),
          new Column(
              "c_numeric",
              "numeric",
              "123456789012345678901234567890.123456789",
              new BigDecimal("123456789012345678901234567890.123456789")),
          // Debezium strips trailing zeros of an unconstrained numeric (documented in the README)
          new Column("c_numeric_trailing_zeros", "numeric", "1.50", new BigDecimal("1.5")),
          new Column("c_numeric_scaled_trailing_zeros", "numeric(10,3)", "1.500", new BigDecimal("1.500")),
          new Column("c_numeric_scaled", "numeric(32,2)", "-123456789012345678901234567890.10",
              new BigDecimal("-123456789012345678901234567890.10")),
          new Column("c_real", "real", "3.25", 3.25f),
          new Column("c_double", "double precision", "1.5e300", 1.5e300),
          new Column("c_boolean", "boolean", "true", true),
          new Column("c_text", "text", "'héllo, wörld'", "héllo, wörld"),
          new Column("c_varchar", "varchar(10)", "'short'", "short"),
          new Column("c_char", "char(5)", "'ab'", "ab   "),
          new Column(
              "c_uuid",
              "uuid",
              "'0f8fad5b-d9cb-469f-a165-70867728950e'",
              UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e")),
          new Column("c_json", "json", "'{\"b\": 1,  \"a\": [true]}'", Json.of("{\"b\": 1,  \"a\": [true]}")),
          new Column("c_jsonb", "jsonb", "'{\"b\": 1,  \"a\": [true]}'", Json.of("{\"a\": [true], \"b\": 1}")),
          new Column("c_bytea", "bytea", "'\\x0001ff'", new byte[] {0, 1, (byte) 0xff}),
          new Column("c_date", "date", "'2024-02-29'", LocalDate.of(2024, 2, 29)),
          new Column("c_date_old", "date", "'1900-01-01'", LocalDate.of(1900, 1, 1)),
          new Column("c_time", "time", "'23:59:59.999999'", LocalTime.of(23, 59, 59, 999_999_000)),
          new Column("c_timetz", "timetz", "'10:15:30+02'", OffsetTime.parse("08:15:30Z")),
          new Column(
              "c_timestamp",
              "timestamp",
              "'2024-02-29 12:34:56.123456'",
              LocalDateTime.of(2024, 2, 29, 12, 34, 56, 123_456_000)),
          new Column(
              "c_timestamp_ms",
              "timestamp(3)",
              "'1969-12-31 23:59:59.5'",
              LocalDateTime.of(1969, 12, 31, 23, 59, 59, 500_000_000)),
          new Column(
              "c_timestamptz_east",
              "timestamptz",
              "'2024-06-01 12:00:00.000001+05:30'",
              Instant.parse("2024-06-01T06:30:00.000001Z")),
          new Column(
              "c_timestamptz_west",
              "timestamptz",
              "'2024-01-01 00:30:00-08'",
              Instant.parse("2024-01-01T08:30:00Z")),
          new Column(
              "c_interval",
              "interval",
              "'1 year 2 mons 3 days 04:05:06.5'",
              Interval.of(14, 3, ((4 * 60 + 5) * 60 + 6) * 1_000_000L + 500_000)),
          new Column(
              "c_interval_negative",
              "interval",
              "'-1 year -2 days -03:00:00.25'",
              Interval.of(-12, -2, -(3 * 3600 * 1_000_000L + 250_000))),
          new Column("c_int_array", "integer[]", "'{1,2,3}'", List.of(1, 2, 3)),
          new Column("c_int_array_empty", "integer[]", "'{}'", List.of()),
          new Column("c_text_array", "text[]", "'{a,\"b c\"}'", List.of("a", "b c")),
          new Column("c_enum", "mood", "'happy'", "happy"));

  private static final String TABLE = "public.all_types";

  @BeforeAll
  static void createTable() {
    String columns =
        COLUMNS.stream().map(c -> c.name() + " " + c.type()).collect(Collectors.joining(", "));
    pg.execute(
        "CREATE TYPE mood AS ENUM ('sad', 'happy')",
        "CREATE TABLE " + TABLE + " (id int PRIMARY KEY, " + columns + ")");
  }

  @Test
  void decodesEveryDocumentedTypeToItsJavaValue() {
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("types")
            .tables(TABLE)
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      String names = COLUMNS.stream().map(Column::name).collect(Collectors.joining(", "));
      String values = COLUMNS.stream().map(Column::literal).collect(Collectors.joining(", "));
      // A session time zone far from UTC proves timestamptz and timestamp do not depend on it.
      pg.execute(
          "SET TIME ZONE 'America/New_York'; INSERT INTO " + TABLE + " (id, " + names + ") VALUES (1, " + values + ")",
          "INSERT INTO " + TABLE + " (id) VALUES (2)");

      List<ChangeEvent> events = sink.awaitEvents(2, Duration.ofSeconds(60));

      Map<String, @Nullable Object> row = events.get(0).after().orElseThrow();
      List<String> mismatches = new ArrayList<>();
      for (Column column : COLUMNS) {
        Object actual = row.get(column.name());
        if (!deepEquals(actual, column.expected())) {
          mismatches.add(column.name() + " (" + column.type() + "): expected " + show(column.expected()) + " but was " + show(actual));
        }
      }
      assertThat(mismatches).isEmpty();

      Map<String, @Nullable Object> nulls = events.get(1).after().orElseThrow();
      for (Column column : COLUMNS) {
        assertThat(nulls).containsEntry(column.name(), null);
      }
    }
  }

  private static boolean deepEquals(@Nullable Object a, @Nullable Object b) {
    return Arrays.deepEquals(new Object[] {a}, new Object[] {b});
  }

  private static String show(@Nullable Object value) {
    if (value == null) {
      return "null";
    }
    String text = value instanceof byte[] ? Arrays.toString((byte[]) value) : value.toString();
    return text + " (" + value.getClass().getSimpleName() + ")";
  }
}
