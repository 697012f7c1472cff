package io.datis;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Operation;
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

/**
 * Every PostgreSQL type in the README's table arrives as its documented Java value, in the snapshot
 * and when streamed, NULL as null; no column is ever missing.
 */
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
          new Column("c_numeric_trailing_zeros", "numeric", "1.50", new BigDecimal("1.50")),
          new Column(
              "c_numeric_scaled_trailing_zeros", "numeric(10,3)", "1.500", new BigDecimal("1.500")),
          new Column(
              "c_numeric_scaled",
              "numeric(32,2)",
              "-123456789012345678901234567890.10",
              new BigDecimal("-123456789012345678901234567890.10")),
          // BigDecimal cannot hold NaN or the infinities: they arrive as Double.
          new Column("c_numeric_nan", "numeric", "'NaN'", Double.NaN),
          new Column("c_numeric_scaled_nan", "numeric(10,2)", "'NaN'", Double.NaN),
          new Column("c_numeric_infinity", "numeric", "'Infinity'", Double.POSITIVE_INFINITY),
          new Column(
              "c_numeric_minus_infinity", "numeric", "'-Infinity'", Double.NEGATIVE_INFINITY),
          new Column("c_real", "real", "3.25", 3.25f),
          new Column("c_real_nan", "real", "'NaN'", Float.NaN),
          new Column("c_double", "double precision", "1.5e300", 1.5e300),
          new Column(
              "c_double_infinity", "double precision", "'-Infinity'", Double.NEGATIVE_INFINITY),
          new Column("c_money", "money", "'12.34'", new BigDecimal("12.34")),
          new Column("c_boolean", "boolean", "true", true),
          new Column("c_text", "text", "'héllo, wörld'", "héllo, wörld"),
          new Column("c_varchar", "varchar(10)", "'short'", "short"),
          new Column("c_char", "char(5)", "'ab'", "ab   "),
          new Column("c_single_char", "\"char\"", "'x'", "x"),
          new Column("c_name", "name", "'a_name'", "a_name"),
          new Column("c_citext", "citext", "'HeLLo'", "HeLLo"),
          new Column(
              "c_uuid",
              "uuid",
              "'0f8fad5b-d9cb-469f-a165-70867728950e'",
              UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e")),
          new Column(
              "c_json",
              "json",
              "'{\"b\": 1,  \"a\": [true]}'",
              Json.of("{\"b\": 1,  \"a\": [true]}")),
          new Column(
              "c_jsonb",
              "jsonb",
              "'{\"b\": 1,  \"a\": [true]}'",
              Json.of("{\"a\": [true], \"b\": 1}")),
          new Column("c_xml", "xml", "'<a>1</a>'", "<a>1</a>"),
          new Column("c_bytea", "bytea", "'\\x0001ff'", new byte[] {0, 1, (byte) 0xff}),
          new Column("c_bit", "bit(3)", "B'101'", "101"),
          new Column("c_bit_one", "bit(1)", "B'1'", "1"),
          new Column("c_varbit", "varbit(10)", "B'0011'", "0011"),
          new Column("c_date", "date", "'2024-02-29'", LocalDate.of(2024, 2, 29)),
          new Column("c_date_old", "date", "'1900-01-01'", LocalDate.of(1900, 1, 1)),
          new Column("c_date_infinity", "date", "'infinity'", LocalDate.MAX),
          new Column("c_date_minus_infinity", "date", "'-infinity'", LocalDate.MIN),
          new Column("c_time", "time", "'23:59:59.999999'", LocalTime.of(23, 59, 59, 999_999_000)),
          new Column("c_time_end_of_day", "time", "'24:00:00'", LocalTime.MAX),
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
          new Column("c_timestamp_infinity", "timestamp", "'infinity'", LocalDateTime.MAX),
          new Column("c_timestamp_minus_infinity", "timestamp", "'-infinity'", LocalDateTime.MIN),
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
          new Column("c_timestamptz_infinity", "timestamptz", "'infinity'", Instant.MAX),
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
          new Column("c_inet", "inet", "'192.168.0.1/24'", "192.168.0.1/24"),
          new Column("c_cidr", "cidr", "'10.0.0.0/8'", "10.0.0.0/8"),
          new Column("c_macaddr", "macaddr", "'08:00:2b:01:02:03'", "08:00:2b:01:02:03"),
          new Column(
              "c_macaddr8", "macaddr8", "'08:00:2b:01:02:03:04:05'", "08:00:2b:01:02:03:04:05"),
          new Column("c_point", "point", "'(1.5,2)'", "(1.5,2.0)"),
          new Column("c_line", "line", "'{1,2,3}'", "{1.0,2.0,3.0}"),
          new Column("c_lseg", "lseg", "'[(0,0),(1,1.5)]'", "[(0.0,0.0),(1.0,1.5)]"),
          new Column("c_box", "box", "'((0,0),(1,1))'", "(1.0,1.0),(0.0,0.0)"),
          new Column("c_path", "path", "'[(0,0),(1,1),(2,0)]'", "[(0.0,0.0),(1.0,1.0),(2.0,0.0)]"),
          new Column(
              "c_polygon", "polygon", "'((0,0),(1,1),(2,0))'", "((0.0,0.0),(1.0,1.0),(2.0,0.0))"),
          new Column("c_circle", "circle", "'<(1,2),3>'", "<(1.0,2.0),3.0>"),
          new Column("c_int4range", "int4range", "'[1,10)'", "[1,10)"),
          new Column("c_int8range", "int8range", "'(1,10]'", "[2,11)"),
          new Column("c_numrange", "numrange", "'(1.5,2.5]'", "(1.5,2.5]"),
          new Column(
              "c_tsrange",
              "tsrange",
              "'[2024-01-01,2024-02-01)'",
              "[\"2024-01-01 00:00:00\",\"2024-02-01 00:00:00\")"),
          new Column(
              "c_tstzrange",
              "tstzrange",
              "'[2024-01-01 00:00+00,2024-02-01 00:00+00)'",
              "[\"2024-01-01 00:00:00+00\",\"2024-02-01 00:00:00+00\")"),
          new Column(
              "c_daterange", "daterange", "'[2024-01-01,2024-02-01)'", "[2024-01-01,2024-02-01)"),
          new Column("c_int4multirange", "int4multirange", "'{[1,3),[5,7)}'", "{[1,3),[5,7)}"),
          new Column(
              "c_datemultirange",
              "datemultirange",
              "'{[2024-01-01,2024-01-03)}'",
              "{[2024-01-01,2024-01-03)}"),
          new Column("c_tsvector", "tsvector", "'a fat cat'", "'a' 'cat' 'fat'"),
          new Column("c_tsquery", "tsquery", "'fat & cat'", "'fat' & 'cat'"),
          new Column("c_hstore", "hstore", "'a=>1,b=>NULL'", hstore("a", "1", "b", null)),
          new Column("c_ltree", "ltree", "'a.b.c'", "a.b.c"),
          new Column("c_oid", "oid", "42", 42L),
          new Column("c_pg_lsn", "pg_lsn", "'0/16B3748'", "0/16B3748"),
          new Column("c_xid", "xid", "'5'", "5"),
          new Column("c_regclass", "regclass", "'pg_class'", "pg_class"),
          new Column("c_int2vector", "int2vector", "'1 2'", "1 2"),
          new Column("c_enum", "mood", "'happy'", "happy"),
          new Column("c_domain_int", "posint", "5", 5),
          new Column("c_domain_text", "email", "'a@b.c'", "a@b.c"),
          new Column("c_domain_numeric", "price", "'NaN'", Double.NaN),
          new Column(
              "c_domain_timestamptz",
              "stamp",
              "'2024-01-01 00:30:00-08'",
              Instant.parse("2024-01-01T08:30:00Z")),
          new Column("c_composite", "address", "ROW('Main St', 5)", "(\"Main St\",5)"),
          // Arrays, of every kind of element.
          new Column("c_int_array", "integer[]", "'{1,2,3}'", List.of(1, 2, 3)),
          new Column("c_int_array_empty", "integer[]", "'{}'", List.of()),
          new Column(
              "c_int_array_2d",
              "integer[]",
              "'{{1,2},{3,4}}'",
              List.of(List.of(1, 2), List.of(3, 4))),
          new Column("c_int_array_bounds", "integer[]", "'[0:1]={7,8}'", List.of(7, 8)),
          new Column("c_int_array_null", "integer[]", "'{1,NULL}'", Arrays.asList(1, null)),
          new Column("c_smallint_array", "smallint[]", "'{1}'", List.of((short) 1)),
          new Column("c_bigint_array", "bigint[]", "'{1}'", List.of(1L)),
          new Column("c_real_array", "real[]", "'{1.5,NaN}'", List.of(1.5f, Float.NaN)),
          new Column(
              "c_double_array",
              "float8[]",
              "'{1.5,1e300,-Infinity}'",
              List.of(1.5, 1e300, Double.NEGATIVE_INFINITY)),
          new Column(
              "c_numeric_array",
              "numeric[]",
              "'{1.50,NaN,-Infinity}'",
              List.of(new BigDecimal("1.50"), Double.NaN, Double.NEGATIVE_INFINITY)),
          new Column(
              "c_money_array",
              "money[]",
              "'{1.5,-2}'",
              List.of(new BigDecimal("1.50"), new BigDecimal("-2.00"))),
          new Column("c_boolean_array", "boolean[]", "'{t,f}'", List.of(true, false)),
          new Column(
              "c_text_array",
              "text[]",
              "ARRAY['a', 'b c', 'with \"quote\" and \\ backslash', NULL, 'NULL', '', '{x,y}']",
              Arrays.asList(
                  "a", "b c", "with \"quote\" and \\ backslash", null, "NULL", "", "{x,y}")),
          new Column("c_varchar_array", "varchar[]", "'{a}'", List.of("a")),
          new Column("c_char_array", "char(2)[]", "'{a}'", List.of("a ")),
          new Column("c_citext_array", "citext[]", "'{A}'", List.of("A")),
          new Column(
              "c_uuid_array",
              "uuid[]",
              "'{0f8fad5b-d9cb-469f-a165-70867728950e}'",
              List.of(UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e"))),
          new Column(
              "c_jsonb_array",
              "jsonb[]",
              "ARRAY['{\"a\": 1}'::jsonb]",
              List.of(Json.of("{\"a\": 1}"))),
          new Column(
              "c_bytea_array",
              "bytea[]",
              "ARRAY['\\x01ff'::bytea]",
              List.of(new byte[] {1, (byte) 0xff})),
          new Column(
              "c_date_array",
              "date[]",
              "'{2024-01-01,infinity}'",
              List.of(LocalDate.of(2024, 1, 1), LocalDate.MAX)),
          new Column(
              "c_time_array",
              "time[]",
              "'{10:00,23:59:59.5}'",
              List.of(LocalTime.of(10, 0), LocalTime.of(23, 59, 59, 500_000_000))),
          new Column(
              "c_timetz_array", "timetz[]", "'{10:00+02}'", List.of(OffsetTime.parse("08:00Z"))),
          new Column(
              "c_timestamp_array",
              "timestamp[]",
              "'{2024-01-01 10:00:00.25}'",
              List.of(LocalDateTime.of(2024, 1, 1, 10, 0, 0, 250_000_000))),
          new Column(
              "c_timestamptz_array",
              "timestamptz[]",
              "'{2024-01-01 10:00+05:30,-infinity}'",
              List.of(Instant.parse("2024-01-01T04:30:00Z"), Instant.MIN)),
          new Column(
              "c_interval_array",
              "interval[]",
              "'{1 day,-01:00:00.5}'",
              List.of(Interval.of(0, 1, 0), Interval.of(0, 0, -3_600_500_000L))),
          new Column("c_enum_array", "mood[]", "'{happy,sad}'", List.of("happy", "sad")),
          new Column("c_domain_array", "posint[]", "'{1,2}'", List.of(1, 2)),
          new Column("c_array_domain", "intlist", "'{1,2}'", List.of(1, 2)),
          new Column(
              "c_composite_array", "address[]", "ARRAY[ROW('x', 1)::address]", List.of("(x,1)")),
          new Column(
              "c_hstore_array", "hstore[]", "ARRAY['a=>1'::hstore]", List.of(hstore("a", "1"))),
          new Column("c_inet_array", "inet[]", "'{10.0.0.1}'", List.of("10.0.0.1")),
          new Column("c_bit_array", "bit(2)[]", "ARRAY[B'10']", List.of("10")),
          new Column("c_xml_array", "xml[]", "ARRAY['<a/>'::xml]", List.of("<a/>")),
          new Column("c_ltree_array", "ltree[]", "ARRAY['a.b'::ltree]", List.of("a.b")),
          new Column("c_range_array", "int4range[]", "ARRAY['[1,2)'::int4range]", List.of("[1,2)")),
          new Column("c_point_array", "point[]", "ARRAY['(1,2)'::point]", List.of("(1.0,2.0)")),
          new Column(
              "c_box_array",
              "box[]",
              "ARRAY['((0,0),(1,1))'::box, '((2,2),(3,3))'::box]",
              List.of("(1.0,1.0),(0.0,0.0)", "(3.0,3.0),(2.0,2.0)")));

  private static final String TABLE = "public.all_types";

  @BeforeAll
  static void createTable() {
    String columns =
        COLUMNS.stream().map(c -> c.name() + " " + c.type()).collect(Collectors.joining(", "));
    pg.execute(
        // Interval text in another style than PostgreSQL's default, which Datis must not depend on.
        "ALTER DATABASE postgres SET IntervalStyle = 'sql_standard'",
        "CREATE EXTENSION hstore",
        "CREATE EXTENSION citext",
        "CREATE EXTENSION ltree",
        "CREATE TYPE mood AS ENUM ('sad', 'happy')",
        "CREATE DOMAIN posint AS integer CHECK (VALUE > 0)",
        "CREATE DOMAIN email AS text",
        "CREATE DOMAIN price AS numeric",
        "CREATE DOMAIN stamp AS timestamptz",
        "CREATE DOMAIN intlist AS integer[]",
        "CREATE TYPE address AS (street text, number int)",
        "CREATE TABLE " + TABLE + " (id int PRIMARY KEY, " + columns + ")");
  }

  /**
   * Row 1 is read by the snapshot, row 2 (the same values) streamed, row 3 all NULLs: both ways
   * give the documented values, and every column is there.
   */
  @Test
  void decodesEveryTypeToItsDocumentedJavaValueInTheSnapshotAndWhenStreamed() {
    String names = COLUMNS.stream().map(Column::name).collect(Collectors.joining(", "));
    String values = COLUMNS.stream().map(Column::literal).collect(Collectors.joining(", "));
    // A session time zone far from UTC proves timestamptz and timestamp do not depend on it.
    String insert =
        "SET TIME ZONE 'America/New_York'; INSERT INTO "
            + TABLE
            + " (id, "
            + names
            + ") VALUES (%d, "
            + values
            + ")";
    pg.execute(String.format(insert, 1));
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("types")
            .tables(TABLE)
            .snapshot(SnapshotMode.INITIAL)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      sink.awaitEvents(1, Duration.ofSeconds(60));
      pg.execute(String.format(insert, 2), "INSERT INTO " + TABLE + " (id) VALUES (3)");

      List<ChangeEvent> events = sink.awaitEvents(3, Duration.ofSeconds(60));

      assertThat(events.get(0).operation()).isEqualTo(Operation.SNAPSHOT_READ);
      assertThat(mismatches(events.get(0).after().orElseThrow())).as("snapshot").isEmpty();
      assertThat(events.get(1).operation()).isEqualTo(Operation.INSERT);
      assertThat(mismatches(events.get(1).after().orElseThrow())).as("streamed").isEmpty();
      Map<String, @Nullable Object> nulls = events.get(2).after().orElseThrow();
      for (Column column : COLUMNS) {
        assertThat(nulls).containsEntry(column.name(), null);
      }
    }
  }

  private static List<String> mismatches(Map<String, @Nullable Object> row) {
    List<String> mismatches = new ArrayList<>();
    for (Column column : COLUMNS) {
      if (!row.containsKey(column.name())) {
        mismatches.add(column.name() + " (" + column.type() + "): missing");
        continue;
      }
      Object actual = row.get(column.name());
      if (!deepEquals(actual, column.expected())) {
        mismatches.add(
            column.name()
                + " ("
                + column.type()
                + "): expected "
                + show(column.expected())
                + " but was "
                + show(actual));
      }
    }
    return mismatches;
  }

  private static Map<String, @Nullable String> hstore(@Nullable String... keysAndValues) {
    Map<String, @Nullable String> map = new java.util.LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  private static boolean deepEquals(@Nullable Object a, @Nullable Object b) {
    if (a instanceof List && b instanceof List) {
      List<?> x = (List<?>) a;
      List<?> y = (List<?>) b;
      if (x.size() != y.size()) {
        return false;
      }
      for (int i = 0; i < x.size(); i++) {
        if (!deepEquals(x.get(i), y.get(i))) {
          return false;
        }
      }
      return true;
    }
    return Arrays.deepEquals(new Object[] {a}, new Object[] {b});
  }

  private static String show(@Nullable Object value) {
    if (value == null) {
      return "null";
    }
    String text =
        value instanceof byte[]
            ? Arrays.toString((byte[]) value)
            : value instanceof List
                ? ((List<?>) value).stream().map(ValueTypesTest::show).toList().toString()
                : value.toString();
    return text + " (" + value.getClass().getSimpleName() + ")";
  }
}
