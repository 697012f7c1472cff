package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import io.datis.testkit.internal.ValueArbitraries;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
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
 *     ChangeEvent hashed = TransformOutput.of(Transforms.hashColumns("email"), event).orElseThrow();
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

  private static final List<Class<?>> KEY_TYPES =
      List.of(Integer.class, Long.class, String.class, UUID.class);

  /** Types whose values PostgreSQL may store out of line and then not send when unchanged. */
  private static final List<Class<?>> TOASTABLE_TYPES =
      List.of(String.class, Json.class, byte[].class, BigDecimal.class, List.class);

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
            Tuple.of(3, Arbitraries.of("public", "sales", "audit")),
            Tuple.of(1, ValueArbitraries.names()));
    return Combinators.combine(schemas, ValueArbitraries.names()).as(TableId::of);
  }

  /** Column names: mostly plain identifiers, some with upper case, spaces, quotes or Unicode. */
  public static Arbitrary<String> columnNames() {
    return ValueArbitraries.names();
  }

  /** Positions of changes in transactions (transaction id at least 1, sequence at least 1). */
  public static Arbitrary<Position> positions() {
    return positions(false);
  }

  /** Commit times between 2000 and 2100, with microsecond precision. */
  public static Arbitrary<Instant> commitTimes() {
    return ValueArbitraries.epochMicros(LocalDate.of(2000, 1, 1), LocalDate.of(2100, 1, 1))
        .map(ValueArbitraries::instant);
  }

  /** Column values of every type in {@link #valueTypes()}, and {@code null}. */
  public static Arbitrary<@Nullable Object> values() {
    List<Arbitrary<?>> all = new ArrayList<>();
    for (Class<?> type : ValueArbitraries.VALUE_TYPES) {
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
  public static <T> Arbitrary<T> valuesOf(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return ValueArbitraries.of(type);
  }

  /**
   * The types of the values in generated row images, besides {@code null} and {@link
   * Unchanged#VALUE}: every type Datis decodes PostgreSQL values to.
   */
  public static List<Class<?>> valueTypes() {
    return ValueArbitraries.VALUE_TYPES;
  }

  /** Row images: ordered maps of zero to ten column names to values of every type, some null. */
  public static Arbitrary<Map<String, @Nullable Object>> rows() {
    return shapes().flatMap(shape -> row(shape, 0.15));
  }

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
                        ValueArbitraries.names().list().uniqueElements().ofSize(keys + others),
                        Arbitraries.of(KEY_TYPES).list().ofSize(keys),
                        Arbitraries.of(ValueArbitraries.VALUE_TYPES).list().ofSize(others))
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
}
