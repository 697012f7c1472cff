package io.datis.testkit.internal;

import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.jspecify.annotations.Nullable;

/**
 * jqwik generators of the column values of {@code ChangeEventArbitraries}: of every type Datis
 * decodes PostgreSQL values to, within PostgreSQL's ranges, with the edge cases (huge numerics, NaN
 * and infinities, any Unicode, dates from 4713 BC, infinite timestamps) mixed in; and of table and
 * column names.
 *
 * <p>Not supported API: used by {@code ChangeEventArbitraries} only.
 */
public final class ValueArbitraries {

  /** The types of the values, as {@code ChangeEventArbitraries.valueTypes()} lists them. */
  public static final List<Class<?>> VALUE_TYPES =
      List.of(
          Short.class,
          Integer.class,
          Long.class,
          BigDecimal.class,
          Float.class,
          Double.class,
          Boolean.class,
          String.class,
          UUID.class,
          Json.class,
          byte[].class,
          LocalDate.class,
          LocalTime.class,
          OffsetTime.class,
          LocalDateTime.class,
          Instant.class,
          Interval.class,
          List.class);

  private static final List<Class<?>> ARRAY_ELEMENT_TYPES =
      List.of(
          Integer.class,
          Long.class,
          String.class,
          BigDecimal.class,
          Boolean.class,
          UUID.class,
          LocalDate.class,
          Instant.class);

  private static final long MICROS_PER_DAY = 86_400_000_000L;
  private static final long MICROS_PER_SECOND = 1_000_000L;

  private ValueArbitraries() {}

  /**
   * Non-null values of one of the {@link #VALUE_TYPES}; {@code List.class} gives arrays.
   *
   * @throws IllegalArgumentException if Datis emits no values of that type
   */
  @SuppressWarnings("unchecked")
  public static <T> Arbitrary<T> of(Class<T> type) {
    Arbitrary<?> values;
    if (type == Short.class) {
      values = Arbitraries.shorts();
    } else if (type == Integer.class) {
      values = Arbitraries.integers();
    } else if (type == Long.class) {
      values = Arbitraries.longs();
    } else if (type == BigDecimal.class) {
      values = bigDecimals();
    } else if (type == Float.class) {
      values = Arbitraries.floats().withStandardSpecialValues();
    } else if (type == Double.class) {
      values = Arbitraries.doubles().withStandardSpecialValues();
    } else if (type == Boolean.class) {
      values = Arbitraries.of(true, false);
    } else if (type == String.class) {
      values = unicodeStrings(40);
    } else if (type == UUID.class) {
      values = Combinators.combine(Arbitraries.longs(), Arbitraries.longs()).as(UUID::new);
    } else if (type == Json.class) {
      values = jsonTexts(2).map(Json::of);
    } else if (type == byte[].class) {
      values = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
    } else if (type == LocalDate.class) {
      values = localDates();
    } else if (type == LocalTime.class) {
      values = localTimes();
    } else if (type == OffsetTime.class) {
      values =
          Combinators.combine(localTimes(), Arbitraries.integers().between(-959, 959))
              .as((time, minutes) -> OffsetTime.of(time, ZoneOffset.ofTotalSeconds(minutes * 60)));
    } else if (type == LocalDateTime.class) {
      values = timestampMicros().map(ValueArbitraries::localDateTime);
    } else if (type == Instant.class) {
      values =
          Arbitraries.frequencyOf(
              Tuple.of(20, timestampMicros().map(ValueArbitraries::instant)),
              Tuple.of(1, Arbitraries.of(Instant.MIN, Instant.MAX)));
    } else if (type == Interval.class) {
      values = intervals();
    } else if (type == List.class) {
      values = Arbitraries.of(ARRAY_ELEMENT_TYPES).flatMap(ValueArbitraries::arrays);
    } else {
      throw new IllegalArgumentException(
          "Datis emits no values of type "
              + type.getName()
              + "; the types are "
              + valueTypeNames());
    }
    return (Arbitrary<T>) values;
  }

  /**
   * Table and column names: mostly plain identifiers, some with upper case, spaces, quotes or
   * Unicode.
   */
  public static Arbitrary<String> names() {
    Arbitrary<String> plain =
        Combinators.combine(
                Arbitraries.chars().range('a', 'z'),
                Arbitraries.strings()
                    .withCharRange('a', 'z')
                    .withCharRange('0', '9')
                    .withChars('_')
                    .ofMaxLength(15))
            .as((first, rest) -> first + rest);
    Arbitrary<String> odd =
        Arbitraries.of(
            "Order Total", "ÜberPreis", "名前", "select", "\"quoted\"", "MixedCase", "emoji_😀");
    return Arbitraries.frequencyOf(Tuple.of(9, plain), Tuple.of(1, odd));
  }

  private static Arbitrary<String> unicodeStrings(int maxLength) {
    Arbitrary<Integer> codePoints =
        Arbitraries.frequencyOf(
            Tuple.of(8, Arbitraries.integers().between(0x20, 0x7E)),
            Tuple.of(1, Arbitraries.of((int) '\t', (int) '\n', (int) '\r', (int) '"', (int) '\\')),
            Tuple.of(2, Arbitraries.integers().between(0x01, 0xD7FF)),
            Tuple.of(1, Arbitraries.integers().between(0xE000, 0xFFFD)),
            Tuple.of(1, Arbitraries.integers().between(0x1_0000, 0x10_FFFF)));
    return codePoints
        .list()
        .ofMaxSize(maxLength)
        .map(
            points -> {
              StringBuilder text = new StringBuilder(points.size() * 2);
              points.forEach(text::appendCodePoint);
              return text.toString();
            });
  }

  private static Arbitrary<BigDecimal> bigDecimals() {
    Arbitrary<BigDecimal> usual =
        Arbitraries.bigDecimals()
            .between(new BigDecimal("-1000000000000"), new BigDecimal("1000000000000"))
            .ofScale(4);
    Arbitrary<BigDecimal> huge =
        Combinators.combine(
                Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(1000),
                Arbitraries.of(1, -1),
                Arbitraries.integers().between(0, 400))
            .as(
                (digits, sign, scale) ->
                    new BigDecimal(
                        new BigInteger(digits).multiply(BigInteger.valueOf(sign)), scale));
    return Arbitraries.frequencyOf(Tuple.of(3, usual), Tuple.of(1, huge));
  }

  private static Arbitrary<String> jsonTexts(int depth) {
    Arbitrary<String> scalars =
        Arbitraries.oneOf(
            Arbitraries.longs().map(String::valueOf),
            Arbitraries.doubles().between(-1e12, 1e12).map(String::valueOf),
            unicodeStrings(12).map(ValueArbitraries::jsonString),
            Arbitraries.of("true", "false", "null"));
    if (depth == 0) {
      return scalars;
    }
    Arbitrary<String> inner = jsonTexts(depth - 1);
    Arbitrary<String> arrays =
        inner.list().ofMaxSize(3).map(items -> "[" + String.join(",", items) + "]");
    Arbitrary<String> objects =
        Combinators.combine(unicodeStrings(8), inner)
            .as((name, value) -> jsonString(name) + ":" + value)
            .list()
            .ofMaxSize(3)
            .map(fields -> "{" + String.join(",", fields) + "}");
    return Arbitraries.frequencyOf(Tuple.of(1, scalars), Tuple.of(1, arrays), Tuple.of(3, objects));
  }

  private static String jsonString(String text) {
    StringBuilder json = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        json.append('\\').append(c);
      } else if (c < 0x20) {
        json.append(String.format("\\u%04x", (int) c));
      } else {
        json.append(c);
      }
    }
    return json.append('"').toString();
  }

  /** PostgreSQL {@code date}s: mostly 1900 to 2100, some anywhere from 4713 BC to 5874897 AD. */
  private static Arbitrary<LocalDate> localDates() {
    Arbitrary<Long> usual =
        Arbitraries.longs()
            .between(
                LocalDate.of(1900, 1, 1).toEpochDay(), LocalDate.of(2100, 12, 31).toEpochDay());
    Arbitrary<Long> any =
        Arbitraries.longs()
            .between(
                LocalDate.of(-4712, 1, 1).toEpochDay(), LocalDate.of(5874897, 12, 31).toEpochDay());
    return Arbitraries.frequencyOf(Tuple.of(8, usual), Tuple.of(1, any)).map(LocalDate::ofEpochDay);
  }

  private static Arbitrary<LocalTime> localTimes() {
    return Arbitraries.longs()
        .between(0, MICROS_PER_DAY - 1)
        .map(micros -> LocalTime.ofNanoOfDay(micros * 1_000));
  }

  /**
   * Microseconds since 1970 of PostgreSQL timestamps: mostly 1970 to 2100, some from 4713 BC to
   * 294000 AD (PostgreSQL goes to 294276 AD, beyond what a long counts in microseconds since 1970).
   */
  private static Arbitrary<Long> timestampMicros() {
    return Arbitraries.frequencyOf(
        Tuple.of(8, epochMicros(LocalDate.of(1970, 1, 1), LocalDate.of(2100, 1, 1))),
        Tuple.of(1, epochMicros(LocalDate.of(-4712, 1, 1), LocalDate.of(294000, 1, 1))));
  }

  /** Microseconds since 1970 from the start of {@code from} to the start of {@code to}. */
  public static Arbitrary<Long> epochMicros(LocalDate from, LocalDate to) {
    return Arbitraries.longs()
        .between(from.toEpochDay() * MICROS_PER_DAY, to.toEpochDay() * MICROS_PER_DAY);
  }

  /** The instant {@code epochMicros} microseconds after 1970. */
  public static Instant instant(long epochMicros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(epochMicros, MICROS_PER_SECOND),
        Math.floorMod(epochMicros, MICROS_PER_SECOND) * 1_000);
  }

  private static LocalDateTime localDateTime(long epochMicros) {
    return LocalDateTime.ofEpochSecond(
        Math.floorDiv(epochMicros, MICROS_PER_SECOND),
        (int) Math.floorMod(epochMicros, MICROS_PER_SECOND) * 1_000,
        ZoneOffset.UTC);
  }

  private static Arbitrary<Interval> intervals() {
    Arbitrary<Interval> usual =
        Combinators.combine(
                Arbitraries.integers().between(-1200, 1200),
                Arbitraries.integers().between(-400, 400),
                Arbitraries.longs().between(-MICROS_PER_DAY, MICROS_PER_DAY))
            .as(Interval::of);
    Arbitrary<Interval> any =
        Combinators.combine(Arbitraries.integers(), Arbitraries.integers(), Arbitraries.longs())
            .as(Interval::of);
    return Arbitraries.frequencyOf(Tuple.of(4, usual), Tuple.of(1, any));
  }

  private static Arbitrary<List<@Nullable Object>> arrays(Class<?> elementType) {
    return of(elementType)
        .map(v -> (Object) v)
        .injectNull(0.1)
        .list()
        .ofMaxSize(5)
        .map(elements -> Collections.unmodifiableList(new ArrayList<@Nullable Object>(elements)));
  }

  private static String valueTypeNames() {
    List<String> names = new ArrayList<>();
    for (Class<?> type : VALUE_TYPES) {
      names.add(type.getSimpleName());
    }
    return names.toString();
  }
}
