package io.datis.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.Unchanged;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomGenerator;
import org.jspecify.annotations.Nullable;

class ChangeEventArbitrariesTest {

  @Property(tries = 300)
  void generatesValidEvents(@ForAll("events") ChangeEvent event) {
    assertThat(event.toBuilder().build()).isEqualTo(event); // passes ChangeEvent's own checks
    Map<String, @Nullable Object> before = event.before().orElse(null);
    Map<String, @Nullable Object> after = event.after().orElse(null);
    switch (event.operation()) {
      case INSERT:
      case SNAPSHOT_READ:
        assertThat(before).isNull();
        assertThat(after).isNotNull().doesNotContainValue(Unchanged.VALUE);
        break;
      case UPDATE:
        assertThat(after).isNotNull();
        if (before != null) {
          assertThat(after).doesNotContainValue(Unchanged.VALUE);
          assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
          for (String column : event.keyColumns()) {
            assertThat(after.get(column)).isEqualTo(before.get(column));
          }
        } else {
          assertThat(event.keyColumns()).isNotEmpty();
        }
        break;
      case DELETE:
        assertThat(after).isNull();
        assertThat(before).isNotNull().doesNotContainValue(Unchanged.VALUE);
        break;
      case TRUNCATE:
        assertThat(before).isNull();
        assertThat(after).isNull();
        assertThat(event.keyColumns()).isEmpty();
        break;
    }
    for (String column : event.keyColumns()) {
      Object value = event.key().get(column);
      assertThat(value).isNotNull().isNotSameAs(Unchanged.VALUE);
    }
    if (after != null && !event.keyColumns().isEmpty()) {
      assertThat(after.keySet()).startsWith(event.keyColumns().toArray(String[]::new));
    }
    assertThat(event.position().transactionId() == 0)
        .isEqualTo(event.operation() == Operation.SNAPSHOT_READ);
    assertThat(event.destination()).isEmpty();
  }

  @Property(tries = 200)
  void generatesEventsOfTheRequestedOperationsOnly(@ForAll("updatesAndDeletes") ChangeEvent event) {
    assertThat(event.operation()).isIn(Operation.UPDATE, Operation.DELETE);
  }

  @Property(tries = 300)
  void generatesValuesOfEveryTypeAsked(@ForAll("typedValues") Map.Entry<Class<?>, Object> value) {
    assertThat(value.getValue()).isInstanceOf(value.getKey());
  }

  @Property(tries = 300)
  void generatesValuesOfTheListedTypesOnly(@ForAll("values") @Nullable Object value) {
    if (value != null) {
      assertThat(ChangeEventArbitraries.valueTypes()).anyMatch(type -> type.isInstance(value));
    }
  }

  @Property(tries = 50)
  void generatesBatchesInCommitOrder(@ForAll("batches") List<ChangeEvent> batch) {
    assertThat(batch).isNotEmpty().hasSizeLessThanOrEqualTo(30);
    for (int i = 1; i < batch.size(); i++) {
      assertThat(batch.get(i).position().lsn()).isGreaterThan(batch.get(i - 1).position().lsn());
    }
  }

  @Property(tries = 200)
  void putsTheRequestedColumnInEveryImage(@ForAll("withEmail") ChangeEvent event) {
    event.before().ifPresent(row -> assertThat((String) row.get("email")).endsWith("@x.org"));
    event.after().ifPresent(row -> assertThat((String) row.get("email")).endsWith("@x.org"));
    assertThat(event.operation()).isNotEqualTo(Operation.TRUNCATE);
  }

  @Example
  void coversEveryOperationValueTypeAndImageShape() {
    RandomGenerator<ChangeEvent> generator = ChangeEventArbitraries.events().generator(1000);
    Random random = new Random(42);
    Set<Operation> operations = EnumSet.noneOf(Operation.class);
    Set<Class<?>> types = new HashSet<>();
    Set<String> shapes = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      ChangeEvent event = generator.next(random).value();
      operations.add(event.operation());
      for (Map<String, @Nullable Object> row : images(event)) {
        if (row.isEmpty()) {
          shapes.add("empty image");
        }
        for (Object value : row.values()) {
          if (value == null) {
            shapes.add("null");
          } else if (value == Unchanged.VALUE) {
            shapes.add("unchanged");
          } else {
            types.add(
                ChangeEventArbitraries.valueTypes().stream()
                    .filter(type -> type.isInstance(value))
                    .findFirst()
                    .orElseThrow());
            if (value instanceof BigDecimal && ((BigDecimal) value).precision() > 100) {
              shapes.add("huge numeric");
            }
            if (value instanceof String
                && ((String) value).codePoints().anyMatch(c -> c > 0xFFFF)) {
              shapes.add("supplementary characters");
            }
            if (Instant.MAX.equals(value) || Instant.MIN.equals(value)) {
              shapes.add("infinite timestamp");
            }
          }
        }
      }
      if (event.operation() == Operation.DELETE
          && !event.keyColumns().isEmpty()
          && event.before().orElseThrow().keySet().equals(Set.copyOf(event.keyColumns()))) {
        shapes.add("key-only delete");
      }
      if (event.operation() == Operation.UPDATE && event.before().isPresent()) {
        shapes.add("update with before image");
      }
      if (event.keyColumns().isEmpty() && event.operation() != Operation.TRUNCATE) {
        shapes.add("no key");
      }
    }

    assertThat(operations).containsExactlyInAnyOrder(Operation.values());
    assertThat(types).containsExactlyInAnyOrderElementsOf(ChangeEventArbitraries.valueTypes());
    assertThat(shapes)
        .containsExactlyInAnyOrder(
            "empty image",
            "null",
            "unchanged",
            "huge numeric",
            "supplementary characters",
            "infinite timestamp",
            "key-only delete",
            "update with before image",
            "no key");
  }

  @Example
  void generatesDifferentPositions() {
    RandomGenerator<Position> generator = ChangeEventArbitraries.positions().generator(1000);
    Random random = new Random(7);
    Set<Position> positions = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      positions.add(generator.next(random).value());
    }
    assertThat(positions).hasSizeGreaterThan(90);
  }

  @Example
  void refusesTypesDatisDoesNotEmit() {
    assertThatThrownBy(() -> ChangeEventArbitraries.valuesOf(Object.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Datis emits no values of type java.lang.Object; the types are [Short, Integer, Long,"
                + " BigDecimal, Float, Double, Boolean, String, UUID, Json, byte[], LocalDate,"
                + " LocalTime, OffsetTime, LocalDateTime, Instant, Interval, List]");
    assertThatThrownBy(() -> ChangeEventArbitraries.batches(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxSize must be at least 1, but was 0");
  }

  @Provide
  Arbitrary<ChangeEvent> events() {
    return ChangeEventArbitraries.events();
  }

  @Provide
  Arbitrary<ChangeEvent> updatesAndDeletes() {
    return ChangeEventArbitraries.eventsOf(Operation.UPDATE, Operation.DELETE);
  }

  @Provide
  Arbitrary<Map.Entry<Class<?>, Object>> typedValues() {
    return Arbitraries.of(ChangeEventArbitraries.valueTypes())
        .flatMap(
            type -> ChangeEventArbitraries.valuesOf(type).map(value -> Map.entry(type, value)));
  }

  @Provide
  Arbitrary<@Nullable Object> values() {
    return ChangeEventArbitraries.values();
  }

  @Provide
  Arbitrary<List<ChangeEvent>> batches() {
    return ChangeEventArbitraries.batches(30);
  }

  @Provide
  Arbitrary<ChangeEvent> withEmail() {
    return ChangeEventArbitraries.eventsWithColumn(
        "email", Arbitraries.strings().alpha().ofMinLength(1).map(s -> s + "@x.org"));
  }

  private static List<Map<String, @Nullable Object>> images(ChangeEvent event) {
    List<Map<String, @Nullable Object>> images = new ArrayList<>();
    event.before().ifPresent(images::add);
    event.after().ifPresent(images::add);
    return images;
  }
}
