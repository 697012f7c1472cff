package io.datis.pubsub.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Unchanged;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Writes column values as JSON, the same way in every message format (the table is in {@link
 * io.datis.pubsub.MessageFormat}'s Javadoc), and formats date-time values as ISO-8601 text.
 */
final class JsonValues {

  private static final long SECONDS_PER_DAY = 86_400L;

  private JsonValues() {}

  /**
   * Writes one value.
   *
   * @param unchangedPlaceholder what to write for {@link Unchanged#VALUE}: the text, or JSON {@code
   *     null} when {@code null}
   * @throws UnsupportedValueException if the value is of a type that no decoder produces
   */
  static void write(
      JsonGenerator json, @Nullable Object value, @Nullable String unchangedPlaceholder)
      throws IOException {
    if (value == null) {
      json.writeNull();
    } else if (value instanceof String) {
      json.writeString((String) value);
    } else if (value instanceof Integer) {
      json.writeNumber((Integer) value);
    } else if (value instanceof Long) {
      json.writeNumber((Long) value);
    } else if (value instanceof BigDecimal) {
      json.writeString(((BigDecimal) value).toPlainString());
    } else if (value instanceof Instant) {
      json.writeString(instant((Instant) value));
    } else if (value instanceof Boolean) {
      json.writeBoolean((Boolean) value);
    } else if (value instanceof Json) {
      json.writeRawValue(((Json) value).text());
    } else if (value instanceof Short) {
      json.writeNumber((Short) value);
    } else if (value instanceof Double) {
      writeDouble(json, (Double) value);
    } else if (value instanceof Float) {
      writeFloat(json, (Float) value);
    } else if (value instanceof UUID) {
      json.writeString(value.toString());
    } else if (value instanceof LocalDateTime) {
      json.writeString(localDateTime((LocalDateTime) value));
    } else if (value instanceof LocalDate) {
      json.writeString(localDate((LocalDate) value));
    } else if (value instanceof byte[]) {
      json.writeBinary((byte[]) value);
    } else if (value instanceof LocalTime) {
      json.writeString(localTime((LocalTime) value));
    } else if (value instanceof OffsetTime) {
      OffsetTime time = (OffsetTime) value;
      json.writeString(localTime(time.toLocalTime()) + time.getOffset().getId());
    } else if (value instanceof Interval) {
      json.writeString(value.toString());
    } else if (value instanceof List) {
      json.writeStartArray();
      for (Object element : (List<?>) value) {
        write(json, element, unchangedPlaceholder);
      }
      json.writeEndArray();
    } else if (value instanceof Map) {
      json.writeStartObject();
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        json.writeFieldName(String.valueOf(entry.getKey()));
        write(json, entry.getValue(), unchangedPlaceholder);
      }
      json.writeEndObject();
    } else if (value == Unchanged.VALUE) {
      if (unchangedPlaceholder == null) {
        json.writeNull();
      } else {
        json.writeString(unchangedPlaceholder);
      }
    } else if (value instanceof Byte) {
      json.writeNumber((Byte) value);
    } else if (value instanceof BigInteger) {
      json.writeNumber((BigInteger) value);
    } else if (value instanceof OffsetDateTime) {
      json.writeString(instant(((OffsetDateTime) value).toInstant()));
    } else {
      throw new UnsupportedValueException(value.getClass());
    }
  }

  private static void writeDouble(JsonGenerator json, double value) throws IOException {
    if (Double.isFinite(value)) {
      json.writeNumber(value);
    } else {
      json.writeString(Double.toString(value));
    }
  }

  private static void writeFloat(JsonGenerator json, float value) throws IOException {
    if (Float.isFinite(value)) {
      json.writeNumber(value);
    } else {
      json.writeString(Float.toString(value));
    }
  }

  /**
   * ISO-8601 in UTC with {@code Z}, seconds always present and the fraction in groups of three
   * digits (e.g. {@code 2026-01-02T03:04:05.123456Z}); {@link Instant#MAX} and {@link Instant#MIN}
   * (PostgreSQL's {@code infinity} and {@code -infinity}) are {@code "infinity"} and {@code
   * "-infinity"}.
   */
  static String instant(Instant instant) {
    if (instant.equals(Instant.MAX)) {
      return "infinity";
    }
    if (instant.equals(Instant.MIN)) {
      return "-infinity";
    }
    long seconds = instant.getEpochSecond();
    long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
    LocalDate date = LocalDate.ofEpochDay(days);
    if (date.getYear() < 0 || date.getYear() > 9999) {
      return instant.toString();
    }
    int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
    StringBuilder text = new StringBuilder(32);
    appendDate(text, date);
    text.append('T');
    appendTime(
        text, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60, instant.getNano());
    return text.append('Z').toString();
  }

  /**
   * ISO-8601 with seconds always present, e.g. {@code 2026-01-02T03:04:05.5}; {@link
   * LocalDateTime#MAX} and {@link LocalDateTime#MIN} (PostgreSQL's {@code infinity} and {@code
   * -infinity}) are {@code "infinity"} and {@code "-infinity"}.
   */
  static String localDateTime(LocalDateTime dateTime) {
    if (dateTime.equals(LocalDateTime.MAX)) {
      return "infinity";
    }
    if (dateTime.equals(LocalDateTime.MIN)) {
      return "-infinity";
    }
    LocalDate date = dateTime.toLocalDate();
    if (date.getYear() < 0 || date.getYear() > 9999) {
      return localDate(date) + 'T' + localTime(dateTime.toLocalTime());
    }
    StringBuilder text = new StringBuilder(29);
    appendDate(text, date);
    text.append('T');
    appendTime(
        text, dateTime.getHour(), dateTime.getMinute(), dateTime.getSecond(), dateTime.getNano());
    return text.toString();
  }

  /**
   * ISO-8601, e.g. {@code 2026-01-02}; years beyond 9999 carry a {@code +} sign; {@link
   * LocalDate#MAX} and {@link LocalDate#MIN} (PostgreSQL's {@code infinity} and {@code -infinity})
   * are {@code "infinity"} and {@code "-infinity"}.
   */
  static String localDate(LocalDate date) {
    if (date.equals(LocalDate.MAX)) {
      return "infinity";
    }
    if (date.equals(LocalDate.MIN)) {
      return "-infinity";
    }
    if (date.getYear() < 0 || date.getYear() > 9999) {
      return date.toString();
    }
    StringBuilder text = new StringBuilder(10);
    appendDate(text, date);
    return text.toString();
  }

  /**
   * ISO-8601 with seconds always present, e.g. {@code 03:04:00} or {@code 03:04:05.123456}; {@link
   * LocalTime#MAX} (PostgreSQL's {@code 24:00:00}) is {@code "24:00:00"}.
   */
  static String localTime(LocalTime time) {
    if (time.equals(LocalTime.MAX)) {
      return "24:00:00";
    }
    StringBuilder text = new StringBuilder(18);
    appendTime(text, time.getHour(), time.getMinute(), time.getSecond(), time.getNano());
    return text.toString();
  }

  /** Whole seconds of the instant since the epoch, times 1,000,000, plus its microseconds. */
  static long epochMicros(Instant instant) {
    return Math.addExact(
        Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
  }

  private static void appendDate(StringBuilder text, LocalDate date) {
    appendPadded(text, date.getYear(), 4);
    text.append('-');
    appendPadded(text, date.getMonthValue(), 2);
    text.append('-');
    appendPadded(text, date.getDayOfMonth(), 2);
  }

  private static void appendTime(StringBuilder text, int hour, int minute, int second, int nano) {
    appendPadded(text, hour, 2);
    text.append(':');
    appendPadded(text, minute, 2);
    text.append(':');
    appendPadded(text, second, 2);
    if (nano == 0) {
      return;
    }
    text.append('.');
    if (nano % 1_000_000 == 0) {
      appendPadded(text, nano / 1_000_000, 3);
    } else if (nano % 1_000 == 0) {
      appendPadded(text, nano / 1_000, 6);
    } else {
      appendPadded(text, nano, 9);
    }
  }

  private static void appendPadded(StringBuilder text, int value, int width) {
    int limit = 1;
    for (int i = 1; i < width; i++) {
      limit *= 10;
      if (value < limit) {
        text.append('0');
      }
    }
    text.append(value);
  }

  /** A value of a type that has no JSON encoding; the message names the type, never the value. */
  static final class UnsupportedValueException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    UnsupportedValueException(Class<?> type) {
      super(
          "values of type "
              + type.getName()
              + " cannot be encoded (supported: the types PostgreSQL columns decode to, see"
              + " MessageFormat); convert them in a transform");
    }
  }
}
