package io.datis.pubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Unchanged;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class JsonValuesTest {

  private static final JsonFactory JSON = new JsonFactory();

  private static String write(@Nullable Object value) throws IOException {
    return write(value, null);
  }

  private static String write(@Nullable Object value, @Nullable String placeholder)
      throws IOException {
    StringWriter text = new StringWriter();
    try (JsonGenerator json = JSON.createGenerator(text)) {
      JsonValues.write(json, value, placeholder);
    }
    return text.toString();
  }

  @Test
  void numbersKeepFullPrecision() throws IOException {
    assertThat(write(Long.MAX_VALUE)).isEqualTo("9223372036854775807");
    assertThat(write((short) -7)).isEqualTo("-7");
    assertThat(write(new BigDecimal("1E+3"))).isEqualTo("\"1000\"");
    assertThat(write(new BigDecimal("-0.000000000000000000001")))
        .isEqualTo("\"-0.000000000000000000001\"");
    assertThat(write(new BigDecimal("123456789012345678901234567890.123456789")))
        .isEqualTo("\"123456789012345678901234567890.123456789\"");
    assertThat(write(0.1)).isEqualTo("0.1");
    assertThat(write(1.0E300)).isEqualTo("1.0E300");
    assertThat(write(3.4028235E38f)).isEqualTo("3.4028235E38");
  }

  @Test
  void nonFiniteFloatsAreStrings() throws IOException {
    assertThat(write(Double.NaN)).isEqualTo("\"NaN\"");
    assertThat(write(Double.POSITIVE_INFINITY)).isEqualTo("\"Infinity\"");
    assertThat(write(Float.NEGATIVE_INFINITY)).isEqualTo("\"-Infinity\"");
  }

  @Test
  void stringsAreEscaped() throws IOException {
    assertThat(write("a \"quoted\" \\ line\nand\ttab \u0001 é ☕"))
        .isEqualTo("\"a \\\"quoted\\\" \\\\ line\\nand\\ttab \\u0001 é ☕\"");
  }

  @Test
  void jsonIsEmbeddedRaw() throws IOException {
    assertThat(write(List.of(Json.of("{\"a\":1}"), Json.of("[true]"), Json.of("\"s\""))))
        .isEqualTo("[{\"a\":1},[true],\"s\"]");
  }

  @Test
  void bytesAreBase64WithPadding() throws IOException {
    assertThat(write(new byte[0])).isEqualTo("\"\"");
    assertThat(write(new byte[] {(byte) 0xFB, (byte) 0xFF})).isEqualTo("\"+/8=\"");
  }

  @Test
  void instantsAreUtcWithTheirPrecision() throws IOException {
    assertThat(write(Instant.parse("2026-01-02T03:04:05Z"))).isEqualTo("\"2026-01-02T03:04:05Z\"");
    assertThat(write(Instant.parse("2026-01-02T03:04:00Z"))).isEqualTo("\"2026-01-02T03:04:00Z\"");
    assertThat(write(Instant.parse("2026-01-02T03:04:05.5Z")))
        .isEqualTo("\"2026-01-02T03:04:05.500Z\"");
    assertThat(write(Instant.parse("2026-01-02T03:04:05.000001Z")))
        .isEqualTo("\"2026-01-02T03:04:05.000001Z\"");
    assertThat(write(Instant.parse("1969-12-31T23:59:59.999999Z")))
        .isEqualTo("\"1969-12-31T23:59:59.999999Z\"");
    assertThat(write(Instant.parse("0001-01-01T00:00:00Z"))).isEqualTo("\"0001-01-01T00:00:00Z\"");
    assertThat(write(Instant.parse("+10000-01-01T00:00:00Z")))
        .isEqualTo("\"+10000-01-01T00:00:00Z\"");
    assertThat(write(Instant.MAX)).isEqualTo("\"infinity\"");
    assertThat(write(Instant.MIN)).isEqualTo("\"-infinity\"");
  }

  @Test
  void theFastInstantFormatMatchesTheJdksForOrdinaryDates() {
    for (long second = -3_000_000_000L; second < 250_000_000_000L; second += 987_654_321L) {
      for (int nano : new int[] {0, 1_000, 120_000_000, 123_456_000, 999_999_999}) {
        Instant instant = Instant.ofEpochSecond(second, nano);
        assertThat(JsonValues.instant(instant)).isEqualTo(instant.toString());
      }
    }
  }

  @Test
  void localDatesAndTimesAreIsoWithSecondsAlwaysPresent() throws IOException {
    assertThat(write(LocalDate.of(2026, 1, 2))).isEqualTo("\"2026-01-02\"");
    assertThat(write(LocalDate.of(33, 1, 2))).isEqualTo("\"0033-01-02\"");
    assertThat(write(LocalTime.of(3, 4))).isEqualTo("\"03:04:00\"");
    assertThat(write(LocalTime.of(23, 59, 59, 999_999_000))).isEqualTo("\"23:59:59.999999\"");
    assertThat(write(OffsetTime.of(3, 4, 5, 0, ZoneOffset.ofHours(2))))
        .isEqualTo("\"03:04:05+02:00\"");
    assertThat(write(LocalDateTime.of(2026, 1, 2, 3, 4))).isEqualTo("\"2026-01-02T03:04:00\"");
    assertThat(write(LocalDateTime.of(2026, 1, 2, 3, 4, 5, 100_000_000)))
        .isEqualTo("\"2026-01-02T03:04:05.100\"");
  }

  @Test
  void intervalsUseTheirIsoText() throws IOException {
    assertThat(write(Interval.of(14, 3, 3_723_500_000L))).isEqualTo("\"P1Y2M3DT1H2M3.5S\"");
    assertThat(write(Interval.of(0, -1, -1L))).isEqualTo("\"P0Y0M-1DT-0H-0M-0.000001S\"");
  }

  @Test
  void unchangedInsideAValueIsNullOrThePlaceholder() throws IOException {
    List<@Nullable Object> array = Arrays.asList(1, Unchanged.VALUE, null);

    assertThat(write(array)).isEqualTo("[1,null,null]");
    assertThat(write(array, "__debezium_unavailable_value"))
        .isEqualTo("[1,\"__debezium_unavailable_value\",null]");
  }

  @Test
  void nestedMapsAndListsAreObjectsAndArrays() throws IOException {
    assertThat(write(Map.of("k", List.of(Map.of("n", 1))))).isEqualTo("{\"k\":[{\"n\":1}]}");
    assertThat(write(List.of())).isEqualTo("[]");
  }

  @Test
  void unsupportedTypesFailNamingTheTypeOnly() {
    assertThatThrownBy(() -> write(new Object() {}.getClass()))
        .isInstanceOf(JsonValues.UnsupportedValueException.class)
        .hasMessageStartingWith("values of type java.lang.Class cannot be encoded");
  }

  @Test
  void utf8LengthsMatchTheEncoder() {
    for (String text :
        List.of("", "ascii", "é", "€", "☕", "𝄞", "mixed é € 𝄞 text", "\u0000", "\uFFFF")) {
      assertThat(Utf8.length(text))
          .as(text)
          .isEqualTo(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    }
  }
}
