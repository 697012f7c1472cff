package io.datis.internal;

import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Unchanged;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns one non-null Kafka Connect value, as Debezium emits it under the settings Datis gives it,
 * into the Java value documented in the README. Chosen once per column schema, then applied to
 * every value.
 */
@FunctionalInterface
interface ValueConverter {

  Object convert(Object value);

  Pattern ISO_INTERVAL =
      Pattern.compile("P(-?\\d+)Y(-?\\d+)M(-?\\d+)DT(-?\\d+)H(-?\\d+)M(-?\\d+(?:\\.\\d+)?)S");

  long MICROS_PER_SECOND = 1_000_000L;

  /** {@code 24:00:00}, which PostgreSQL's {@code time} allows and {@link LocalTime} does not. */
  long MICROS_PER_DAY = 86_400L * MICROS_PER_SECOND;

  /**
   * How Debezium writes a {@code date} of {@code infinity}: PostgreSQL's own dates never come near.
   */
  long INFINITE_EPOCH_DAY = LocalDate.parse("+5877611-06-21").toEpochDay();

  /** How Debezium writes a {@code date} of {@code -infinity}. */
  long MINUS_INFINITE_EPOCH_DAY = LocalDate.parse("-5877611-06-22").toEpochDay();

  /** The converter for values of the given schema. */
  static ValueConverter forSchema(Schema schema) {
    String logicalName = schema.name();
    if (logicalName != null) {
      switch (logicalName) {
        case "org.apache.kafka.connect.data.Decimal":
          return value -> value;
        case "io.debezium.data.VariableScaleDecimal":
          return value -> {
            Struct struct = (Struct) value;
            return new BigDecimal(
                new BigInteger(bytes(struct.get("value"))), struct.getInt32("scale"));
          };
        case ColumnTypeConverter.ARRAY:
          return array(schema);
        case ColumnTypeConverter.NUMERIC:
          return value ->
              ToastPlaceholder.isText(value) ? Unchanged.VALUE : PgText.numeric((String) value);
        case "io.debezium.time.Date":
          return value -> date((Integer) value);
        case "org.apache.kafka.connect.data.Date":
          return value -> LocalDate.ofInstant(((java.util.Date) value).toInstant(), ZoneOffset.UTC);
        case "io.debezium.time.Time":
          return value -> LocalTime.ofNanoOfDay(((Integer) value) * 1_000_000L);
        case "io.debezium.time.MicroTime":
          return value ->
              ((Long) value) >= MICROS_PER_DAY
                  ? LocalTime.MAX
                  : LocalTime.ofNanoOfDay(((Long) value) * 1_000L);
        case "io.debezium.time.NanoTime":
          return value -> LocalTime.ofNanoOfDay((Long) value);
        case "org.apache.kafka.connect.data.Time":
          return value -> LocalTime.ofInstant(((java.util.Date) value).toInstant(), ZoneOffset.UTC);
        case "io.debezium.time.Timestamp":
          return value -> localDateTime((Long) value, 1_000L);
        case "io.debezium.time.MicroTimestamp":
          return value -> microTimestamp((Long) value);
        case "io.debezium.time.NanoTimestamp":
          return value -> localDateTime((Long) value, 1_000_000_000L);
        case "org.apache.kafka.connect.data.Timestamp":
          return value ->
              LocalDateTime.ofInstant(((java.util.Date) value).toInstant(), ZoneOffset.UTC);
        case "io.debezium.time.ZonedTimestamp":
          return ValueConverter::instant;
        case "io.debezium.time.ZonedTime":
          return value -> OffsetTime.parse((String) value);
        case "io.debezium.time.Interval":
          return value -> interval((String) value);
        case "io.debezium.time.MicroDuration":
          return value -> Interval.of(0, 0, (Long) value);
        case "io.debezium.data.Json":
          return value ->
              ToastPlaceholder.isText(value) ? Unchanged.VALUE : Json.of((String) value);
        case "io.debezium.data.Uuid":
          return value ->
              ToastPlaceholder.isText(value) ? Unchanged.VALUE : UUID.fromString((String) value);
        default:
          break; // enums, xml, ltree, bits... are plain strings or bytes: handled by type below
      }
    }
    switch (schema.type()) {
      case STRING:
        return value -> ToastPlaceholder.isText(value) ? Unchanged.VALUE : value;
      case BYTES:
        return value -> ToastPlaceholder.isBytes(value) ? Unchanged.VALUE : bytes(value);
      case ARRAY:
        ValueConverter element = forSchema(schema.valueSchema());
        return value ->
            ToastPlaceholder.isArray(value) ? Unchanged.VALUE : list((List<?>) value, element);
      case MAP:
        ValueConverter mapValue = forSchema(schema.valueSchema());
        return value ->
            ToastPlaceholder.isMap(value) ? Unchanged.VALUE : map((Map<?, ?>) value, mapValue);
      case STRUCT:
        RowConverter nested = new RowConverter(schema);
        return value -> nested.convert((Struct) value);
      default:
        return value -> value; // int8..int64, float32/64, boolean: already natural Java types
    }
  }

  /** An array given as PostgreSQL's text, its elements converted as the schema's parameters say. */
  private static ValueConverter array(Schema schema) {
    Map<String, String> parameters = schema.parameters();
    PgText.Kind kind = PgText.Kind.valueOf(parameter(parameters, ColumnTypeConverter.ELEMENT));
    char delimiter = parameter(parameters, ColumnTypeConverter.DELIMITER).charAt(0);
    return value ->
        ToastPlaceholder.isText(value)
            ? Unchanged.VALUE
            : PgArrayText.parse((String) value, delimiter, text -> PgText.parse(kind, text));
  }

  /**
   * A date; Debezium's stand-ins for {@code infinity} and {@code -infinity} become the extremes.
   */
  private static LocalDate date(int epochDay) {
    if (epochDay == INFINITE_EPOCH_DAY) {
      return LocalDate.MAX;
    }
    if (epochDay == MINUS_INFINITE_EPOCH_DAY) {
      return LocalDate.MIN;
    }
    return LocalDate.ofEpochDay(epochDay);
  }

  /**
   * A timestamp; Debezium's stand-ins for {@code infinity} and {@code -infinity} become the
   * extremes.
   */
  private static LocalDateTime microTimestamp(long micros) {
    if (micros == Long.MAX_VALUE) {
      return LocalDateTime.MAX;
    }
    if (micros == Long.MIN_VALUE) {
      return LocalDateTime.MIN;
    }
    return localDateTime(micros, MICROS_PER_SECOND);
  }

  private static byte[] bytes(Object value) {
    if (value instanceof byte[]) {
      return (byte[]) value;
    }
    ByteBuffer buffer = ((ByteBuffer) value).duplicate();
    byte[] copy = new byte[buffer.remaining()];
    buffer.get(copy);
    return copy;
  }

  private static LocalDateTime localDateTime(long sinceEpoch, long unitsPerSecond) {
    long seconds = Math.floorDiv(sinceEpoch, unitsPerSecond);
    long fraction = Math.floorMod(sinceEpoch, unitsPerSecond);
    int nanos = (int) (fraction * (1_000_000_000L / unitsPerSecond));
    return LocalDateTime.ofEpochSecond(seconds, nanos, ZoneOffset.UTC);
  }

  private static Object instant(Object value) {
    String text = (String) value;
    switch (text) {
      case "infinity":
        return Instant.MAX;
      case "-infinity":
        return Instant.MIN;
      default:
        return OffsetDateTime.parse(text).toInstant();
    }
  }

  /**
   * Parses Debezium's interval text, {@code P<y>Y<m>M<d>DT<h>H<m>M<s>S}, each part possibly
   * negative.
   */
  private static Interval interval(String text) {
    Matcher m = ISO_INTERVAL.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "Unexpected interval text from Debezium"); // never the value
    }
    int months = Integer.parseInt(m.group(1)) * 12 + Integer.parseInt(m.group(2));
    int days = Integer.parseInt(m.group(3));
    long micros =
        Long.parseLong(m.group(4)) * 3600 * MICROS_PER_SECOND
            + Long.parseLong(m.group(5)) * 60 * MICROS_PER_SECOND
            + new BigDecimal(m.group(6))
                .movePointRight(6)
                .setScale(0, RoundingMode.HALF_EVEN)
                .longValueExact();
    return Interval.of(months, days, micros);
  }

  private static List<Object> list(List<?> values, ValueConverter element) {
    List<Object> converted = new ArrayList<>(values.size());
    for (Object value : values) {
      converted.add(value == null ? null : element.convert(value));
    }
    return Collections.unmodifiableList(converted);
  }

  private static Map<Object, Object> map(Map<?, ?> values, ValueConverter valueConverter) {
    Map<Object, Object> converted = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : values.entrySet()) {
      Object value = entry.getValue();
      converted.put(entry.getKey(), value == null ? null : valueConverter.convert(value));
    }
    return Collections.unmodifiableMap(converted);
  }

  /** A parameter Datis's column converter always sets on the schemas it makes. */
  private static String parameter(Map<String, String> parameters, String name) {
    String value = parameters.get(name);
    if (value == null) {
      throw new IllegalStateException("The column schema lacks Datis's parameter " + name);
    }
    return value;
  }
}
