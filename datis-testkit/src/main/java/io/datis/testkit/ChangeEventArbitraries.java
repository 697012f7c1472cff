package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.jspecify.annotations.Nullable;

/**
 * <a href="https://jqwik.net">jqwik</a> generators of valid {@link ChangeEvent}s, to property-test
 * transforms and sinks against every operation and every value type Datis emits.
 *
 * <pre>{@code
 * class EmailHashingTest {
 *   @Property
 *   void hashingNeverLeaksTheEmail(@ForAll("customers") ChangeEvent event) throws Exception {
 *     ChangeEvent hashed = Transforms.hashColumns("email").apply(event).applyTo(event);
 *     Object email = event.after().orElseGet(() -> event.before().orElseThrow()).get("email");
 *     DatisAssertions.assertThat(hashed).doesNotContainValue(email);
 *   }
 *
 *   @Provide
 *   Arbitrary<ChangeEvent> customers() {
 *     Arbitrary<String> emails = Arbitraries.strings().alpha().ofMinLength(1).map(s -> s + "@x.org");
 *     return ChangeEventArbitraries.eventsWithColumn("email", emails);
 *   }
 * }
 * }</pre>
 *
 * <p><b>What the events look like.</b> Each event has a table of zero to ten columns, zero to two
 * of them key columns (first in the image, never {@code null}, of type Integer, Long, String or
 * UUID); every image of an event has the same columns with values of the same types, and the key of
 * an update is the same before and after. Images follow PostgreSQL's replica identities: an update
 * has either a full {@code before} image ({@code FULL}) or none ({@code DEFAULT}), and only in the
 * latter case may its {@code after} image hold {@link Unchanged#VALUE} for a non-key column of a
 * type that PostgreSQL stores out of line; a delete's {@code before} image is the full row or, on a
 * table with a key, the key columns only; a truncate has neither image nor key columns; a table
 * without key columns has only {@code FULL} images; a table without columns has empty images.
 * Snapshot reads have transaction id 0. No event has a destination.
 *
 * <p><b>Values</b> ({@link #valueTypes()}): Short, Integer, Long, BigDecimal (up to 1000 digits),
 * Float and Double (with NaN and infinities), Boolean, String (any Unicode, no NUL), UUID, {@link
 * Json}, byte[], LocalDate, LocalTime and OffsetTime (microsecond precision), LocalDateTime,
 * Instant (with {@link Instant#MIN} and {@link Instant#MAX}, PostgreSQL's {@code -infinity} and
 * {@code infinity}), {@link Interval} and List (arrays of one element type, with nulls), within
 * PostgreSQL's ranges; and {@code null}.
 *
 * <p>All methods return new, independent arbitraries; each call is cheap.
 */
public final class ChangeEventArbitraries {

  private static final List<Class<?>> VALUE_TYPES =
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

  private static final List<Class<?>> KEY_TYPES =
      List.of(Integer.class, Long.class, String.class, UUID.class);

  /** Types whose values PostgreSQL may store out of line and then not send when unchanged. */
  private static final List<Class<?>> TOASTABLE_TYPES =
      List.of(String.class, Json.class, byte[].class, BigDecimal.class, List.class);

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

  private ChangeEventArbitraries() {}

  /** Valid events of every operation. */
  public static Arbitrary<ChangeEvent> events() {
    return eventsOf(Operation.values());
  }

  /** Valid events of the given operations (all of them if none is given). */
  public static Arbitrary<ChangeEvent> eventsOf(Operation... operations) {
    Objects.requireNonNull(operations, "operations");
    Operation[] chosen = operations.length == 0 ? Operation.values() : operations.clone();
    return Arbitraries.of(chosen).flatMap(ChangeEventArbitraries::eventOf);
  }

  /**
   * Valid events of every operation but {@code TRUNCATE} whose row images all hold {@code column},
   * with a value from {@code values} (drawn separately for the {@code before} and {@code after}
   * images); the column is added at the end of the images, or replaces a generated column of that
   * name.
   */
  public static Arbitrary<ChangeEvent> eventsWithColumn(String column, Arbitrary<?> values) {
    Objects.requireNonNull(column, "column");
    Objects.requireNonNull(values, "values");
    return Combinators.combine(
            eventsOf(Operation.INSERT, Operation.UPDATE, Operation.DELETE, Operation.SNAPSHOT_READ),
            values,
            values)
        .as(
            (event, beforeValue, afterValue) ->
                event.toBuilder()
                    .before(withColumn(event.before().orElse(null), column, beforeValue))
                    .after(withColumn(event.after().orElse(null), column, afterValue))
                    .build());
  }

  private static @Nullable Map<String, @Nullable Object> withColumn(
      @Nullable Map<String, @Nullable Object> image, String column, @Nullable Object value) {
    if (image == null) {
      return null;
    }
    Map<String, @Nullable Object> changed = new LinkedHashMap<>(image);
    changed.put(column, value);
    return changed;
  }

  /**
   * Batches of one to {@code maxSize} valid events, as a pipeline hands them to a sink: their
   * positions strictly increase, with the events of one transaction sharing a transaction id.
   */
  public static Arbitrary<List<ChangeEvent>> batches(int maxSize) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be at least 1, but was " + maxSize);
    }
    return Combinators.combine(
            events().list().ofMinSize(1).ofMaxSize(maxSize),
            Arbitraries.longs().between(1, 1L << 40),
            Arbitraries.longs().between(1, 1L << 31))
        .as(ChangeEventArbitraries::inCommitOrder);
  }

  /** Schema-qualified table names, mostly plain identifiers, some with upper case or Unicode. */
  public static Arbitrary<TableId> tableIds() {
    Arbitrary<String> schemas =
        Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.of("public", "sales", "audit")), Tuple.of(1, names()));
    return Combinators.combine(schemas, names()).as(TableId::of);
  }

  /** Column names: mostly plain identifiers, some with upper case, spaces, quotes or Unicode. */
  public static Arbitrary<String> columnNames() {
    return names();
  }

  /** Positions of changes in transactions (transaction id at least 1, sequence at least 1). */
  public static Arbitrary<Position> positions() {
    return positions(false);
  }

  /** Commit times between 2000 and 2100, with microsecond precision. */
  public static Arbitrary<Instant> commitTimes() {
    return epochMicros(LocalDate.of(2000, 1, 1), LocalDate.of(2100, 1, 1))
        .map(ChangeEventArbitraries::instant);
  }

  /** Column values of every type in {@link #valueTypes()}, and {@code null}. */
  public static Arbitrary<@Nullable Object> values() {
    List<Arbitrary<?>> all = new ArrayList<>();
    for (Class<?> type : VALUE_TYPES) {
      all.add(valuesOf(type));
    }
    return Arbitraries.<@Nullable Object>oneOf(all).injectNull(0.05);
  }

  /**
   * Non-null values of one of the {@link #valueTypes()}, e.g. {@code valuesOf(BigDecimal.class)};
   * {@code List.class} gives arrays.
   *
   * @throws IllegalArgumentException if Datis emits no values of that type
   */
  @SuppressWarnings("unchecked")
  public static <T> Arbitrary<T> valuesOf(Class<T> type) {
    Objects.requireNonNull(type, "type");
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
      values = timestampMicros().map(ChangeEventArbitraries::localDateTime);
    } else if (type == Instant.class) {
      values =
          Arbitraries.frequencyOf(
              Tuple.of(20, timestampMicros().map(ChangeEventArbitraries::instant)),
              Tuple.of(1, Arbitraries.of(Instant.MIN, Instant.MAX)));
    } else if (type == Interval.class) {
      values = intervals();
    } else if (type == List.class) {
      values = Arbitraries.of(ARRAY_ELEMENT_TYPES).flatMap(ChangeEventArbitraries::arrays);
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
   * The types of the values in generated row images, besides {@code null} and {@link
   * Unchanged#VALUE}: every type Datis decodes PostgreSQL values to.
   */
  public static List<Class<?>> valueTypes() {
    return VALUE_TYPES;
  }

  /** Row images: ordered maps of zero to ten column names to values of every type, some null. */
  public static Arbitrary<Map<String, @Nullable Object>> rows() {
    return shapes().flatMap(shape -> row(shape, 0.15));
  }

  // ---------------------------------------------------------------- events

  /** A table's columns and key: every image of one event has this shape. */
  private static final class Shape {
    final TableId table;
    final List<String> names;
    final List<Class<?>> types;
    final int keyCount;

    Shape(TableId table, List<String> names, List<Class<?>> types, int keyCount) {
      this.table = table;
      this.names = names;
      this.types = types;
      this.keyCount = keyCount;
    }

    List<String> keyColumns() {
      return names.subList(0, keyCount);
    }
  }

  private static Arbitrary<Shape> shapes() {
    Arbitrary<Integer> keyCounts =
        Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(6, 1), Tuple.of(2, 2));
    Arbitrary<Integer> otherCounts =
        Arbitraries.frequency(Tuple.of(1, 0), Tuple.of(8, 4), Tuple.of(8, 8), Tuple.of(4, 2));
    return Combinators.combine(tableIds(), keyCounts, otherCounts)
        .flatAs(
            (table, keys, others) ->
                Combinators.combine(
                        names().list().uniqueElements().ofSize(keys + others),
                        Arbitraries.of(KEY_TYPES).list().ofSize(keys),
                        Arbitraries.of(VALUE_TYPES).list().ofSize(others))
                    .as(
                        (names, keyTypes, otherTypes) -> {
                          List<Class<?>> types = new ArrayList<>(keyTypes);
                          types.addAll(otherTypes);
                          return new Shape(table, List.copyOf(names), List.copyOf(types), keys);
                        }));
  }

  private static Arbitrary<Map<String, @Nullable Object>> row(Shape shape, double nulls) {
    List<Arbitrary<@Nullable Object>> columns = new ArrayList<>();
    for (int i = 0; i < shape.names.size(); i++) {
      Arbitrary<@Nullable Object> values = valuesOf(shape.types.get(i)).map(v -> (Object) v);
      columns.add(i < shape.keyCount ? values : values.injectNull(nulls));
    }
    return Combinators.combine(columns)
        .as(
            values -> {
              Map<String, @Nullable Object> image = new LinkedHashMap<>();
              for (int i = 0; i < values.size(); i++) {
                image.put(shape.names.get(i), values.get(i));
              }
              return image;
            });
  }

  private static Arbitrary<ChangeEvent> eventOf(Operation operation) {
    boolean snapshot = operation == Operation.SNAPSHOT_READ;
    return Combinators.combine(shapes(), positions(snapshot), commitTimes())
        .flatAs(
            (shape, position, commitTime) ->
                images(operation, shape)
                    .map(
                        images ->
                            ChangeEvent.builder(operation, shape.table)
                                .keyColumns(
                                    operation == Operation.TRUNCATE
                                        ? List.of()
                                        : shape.keyColumns())
                                .before(images.get(0))
                                .after(images.get(1))
                                .position(position)
                                .commitTime(commitTime)
                                .build()));
  }

  /** The before and after images, either of which may be null. */
  private static Arbitrary<List<@Nullable Map<String, @Nullable Object>>> images(
      Operation operation, Shape shape) {
    boolean keyed = shape.keyCount > 0;
    switch (operation) {
      case INSERT:
      case SNAPSHOT_READ:
        return row(shape, 0.15).map(after -> pair(null, after));
      case UPDATE:
        Arbitrary<List<@Nullable Map<String, @Nullable Object>>> full =
            Combinators.combine(row(shape, 0.15), row(shape, 0.15))
                .as((before, after) -> pair(before, withKeyOf(shape, before, after)));
        Arbitrary<List<@Nullable Map<String, @Nullable Object>>> keyOnly =
            Combinators.combine(
                    row(shape, 0.15), Arbitraries.of(true, false).list().ofSize(shape.names.size()))
                .as((after, toasted) -> pair(null, withUnchanged(shape, after, toasted)));
        return keyed ? Arbitraries.oneOf(full, keyOnly) : full;
      case DELETE:
        Arbitrary<List<@Nullable Map<String, @Nullable Object>>> fullRow =
            row(shape, 0.15).map(before -> pair(before, null));
        Arbitrary<List<@Nullable Map<String, @Nullable Object>>> keyRow =
            row(shape, 0.15).map(before -> pair(keyOnly(shape, before), null));
        return keyed ? Arbitraries.oneOf(fullRow, keyRow) : fullRow;
      default:
        return Arbitraries.just(pair(null, null));
    }
  }

  private static List<@Nullable Map<String, @Nullable Object>> pair(
      @Nullable Map<String, @Nullable Object> before,
      @Nullable Map<String, @Nullable Object> after) {
    List<@Nullable Map<String, @Nullable Object>> images = new ArrayList<>(2);
    images.add(before);
    images.add(after);
    return images;
  }

  private static Map<String, @Nullable Object> withKeyOf(
      Shape shape, Map<String, @Nullable Object> before, Map<String, @Nullable Object> row) {
    Map<String, @Nullable Object> after = new LinkedHashMap<>(row);
    for (String column : shape.keyColumns()) {
      after.put(column, before.get(column));
    }
    return after;
  }

  private static Map<String, @Nullable Object> withUnchanged(
      Shape shape, Map<String, @Nullable Object> row, List<Boolean> toasted) {
    Map<String, @Nullable Object> after = new LinkedHashMap<>(row);
    for (int i = shape.keyCount; i < shape.names.size(); i++) {
      if (toasted.get(i) && TOASTABLE_TYPES.contains(shape.types.get(i))) {
        after.put(shape.names.get(i), Unchanged.VALUE);
      }
    }
    return after;
  }

  private static Map<String, @Nullable Object> keyOnly(
      Shape shape, Map<String, @Nullable Object> row) {
    Map<String, @Nullable Object> key = new LinkedHashMap<>();
    for (String column : shape.keyColumns()) {
      key.put(column, row.get(column));
    }
    return key;
  }

  private static Arbitrary<Position> positions(boolean snapshot) {
    return Combinators.combine(
            Arbitraries.longs().between(0, Long.MAX_VALUE),
            snapshot ? Arbitraries.just(0L) : Arbitraries.longs().between(1, 1L << 32),
            Arbitraries.longs().between(1, 1_000_000))
        .as(Position::of);
  }

  private static List<ChangeEvent> inCommitOrder(
      List<ChangeEvent> events, long firstLsn, long firstTransaction) {
    List<ChangeEvent> batch = new ArrayList<>(events.size());
    long lsn = firstLsn;
    long transaction = firstTransaction;
    long sequence = 0;
    for (ChangeEvent event : events) {
      lsn += 8;
      if (++sequence > 3) { // a new transaction every three changes
        transaction++;
        sequence = 1;
      }
      boolean snapshot = event.operation() == Operation.SNAPSHOT_READ;
      batch.add(
          event.toBuilder()
              .position(Position.of(lsn, snapshot ? 0 : transaction, sequence))
              .build());
    }
    return List.copyOf(batch);
  }

  // ---------------------------------------------------------------- values

  private static Arbitrary<String> names() {
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
            unicodeStrings(12).map(ChangeEventArbitraries::jsonString),
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

  private static Arbitrary<Long> epochMicros(LocalDate from, LocalDate to) {
    return Arbitraries.longs()
        .between(from.toEpochDay() * MICROS_PER_DAY, to.toEpochDay() * MICROS_PER_DAY);
  }

  private static Instant instant(long epochMicros) {
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
    return valuesOf(elementType)
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
