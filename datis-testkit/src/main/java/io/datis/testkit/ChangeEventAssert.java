package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import io.datis.testkit.internal.EventText;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.assertj.core.api.AbstractAssert;
import org.assertj.core.internal.Failures;
import org.jspecify.annotations.Nullable;

/**
 * AssertJ assertions on one {@link ChangeEvent}; start with {@link
 * DatisAssertions#assertThat(ChangeEvent)}.
 *
 * <pre>{@code
 * assertThat(event).isUpdateOf("id", 10).hasAfterColumn("status", "paid").hasUnchanged("notes");
 * assertThat(masked).isFor("public.customers").doesNotContainValue("alice@example.org");
 * }</pre>
 *
 * <p>Failure messages describe the event compactly, as {@code UPDATE public.orders key {id=10} at
 * lsn 0/1A0 tx 26 #1}, and show only the values of the columns asserted on. Values are compared
 * with {@link Objects#deepEquals}, so {@code byte[]} values compare by content, and a Long never
 * equals an Integer: the message then names both types.
 */
public final class ChangeEventAssert extends AbstractAssert<ChangeEventAssert, ChangeEvent> {

  ChangeEventAssert(@Nullable ChangeEvent actual) {
    super(actual, ChangeEventAssert.class);
  }

  /** Checks that the event is an insert. */
  public ChangeEventAssert isInsert() {
    return hasOperation(Operation.INSERT);
  }

  /** Checks that the event is an update. */
  public ChangeEventAssert isUpdate() {
    return hasOperation(Operation.UPDATE);
  }

  /** Checks that the event is a delete. */
  public ChangeEventAssert isDelete() {
    return hasOperation(Operation.DELETE);
  }

  /** Checks that the event is a truncate. */
  public ChangeEventAssert isTruncate() {
    return hasOperation(Operation.TRUNCATE);
  }

  /** Checks that the event is a snapshot read. */
  public ChangeEventAssert isSnapshotRead() {
    return hasOperation(Operation.SNAPSHOT_READ);
  }

  /**
   * Checks that the event is an insert of the row whose key column {@code column} is {@code value}.
   */
  public ChangeEventAssert isInsertOf(String column, @Nullable Object value) {
    return isInsert().hasKey(column, value);
  }

  /**
   * Checks that the event is an update of the row whose key column {@code column} is {@code value}.
   */
  public ChangeEventAssert isUpdateOf(String column, @Nullable Object value) {
    return isUpdate().hasKey(column, value);
  }

  /**
   * Checks that the event is a delete of the row whose key column {@code column} is {@code value}.
   */
  public ChangeEventAssert isDeleteOf(String column, @Nullable Object value) {
    return isDelete().hasKey(column, value);
  }

  /** Checks the event's operation. */
  public ChangeEventAssert hasOperation(Operation operation) {
    Objects.requireNonNull(operation, "operation");
    isNotNull();
    if (actual.operation() != operation) {
      throw failure(
          "Expected " + article(operation) + " event, but it is " + article(actual.operation()));
    }
    return this;
  }

  /** Checks the event's table, given as {@code schema.table}. */
  public ChangeEventAssert isFor(String table) {
    TableId expected = TableId.parse(Objects.requireNonNull(table, "table"));
    isNotNull();
    if (!actual.table().equals(expected)) {
      throw failure("Expected an event for " + expected + ", but it is for " + actual.table());
    }
    return this;
  }

  /**
   * Checks that {@code column} is one of the event's key columns and that its value in the {@link
   * ChangeEvent#key() key} is {@code value}.
   */
  public ChangeEventAssert hasKey(String column, @Nullable Object value) {
    Objects.requireNonNull(column, "column");
    isNotNull();
    String expectation = "Expected key " + column + " = " + EventText.value(value);
    if (!actual.keyColumns().contains(column)) {
      throw failure(
          expectation
              + ", but "
              + column
              + " is not a key column (the key columns are "
              + actual.keyColumns()
              + ")");
    }
    Map<String, @Nullable Object> key = actual.key();
    if (!key.containsKey(column)) {
      throw failure(expectation + ", but the event has no row image");
    }
    checkValue(expectation, value, key.get(column));
    return this;
  }

  /** Checks that the event's key columns are exactly these, in this order. */
  public ChangeEventAssert hasKeyColumns(String... columns) {
    List<String> expected = List.of(columns);
    isNotNull();
    if (!actual.keyColumns().equals(expected)) {
      throw failure(
          "Expected the key columns " + expected + ", but they are " + actual.keyColumns());
    }
    return this;
  }

  /** Checks that the {@code after} image holds {@code column} with {@code value}. */
  public ChangeEventAssert hasAfterColumn(String column, @Nullable Object value) {
    return hasColumn("after", actual == null ? null : actual.after(), column, value);
  }

  /** Checks that the {@code before} image holds {@code column} with {@code value}. */
  public ChangeEventAssert hasBeforeColumn(String column, @Nullable Object value) {
    return hasColumn("before", actual == null ? null : actual.before(), column, value);
  }

  /**
   * Checks that {@code column} of the {@code after} image is {@link Unchanged#VALUE}: an unchanged
   * TOASTed value that PostgreSQL did not send.
   */
  public ChangeEventAssert hasUnchanged(String column) {
    Objects.requireNonNull(column, "column");
    isNotNull();
    String expectation = "Expected after column " + column + " to be unchanged (not sent)";
    Map<String, @Nullable Object> after = image(expectation, "after", actual.after(), column);
    Object value = after.get(column);
    if (value != Unchanged.VALUE) {
      throw failure(expectation + ", but it is " + EventText.value(value));
    }
    return this;
  }

  /** Checks that neither image has {@code column}. */
  public ChangeEventAssert doesNotHaveColumn(String column) {
    Objects.requireNonNull(column, "column");
    isNotNull();
    List<String> found = new ArrayList<>();
    if (actual.before().map(row -> row.containsKey(column)).orElse(false)) {
      found.add("before");
    }
    if (actual.after().map(row -> row.containsKey(column)).orElse(false)) {
      found.add("after");
    }
    if (!found.isEmpty()) {
      throw failure(
          "Expected no column "
              + column
              + ", but the "
              + String.join(" and ", found)
              + " image has it");
    }
    return this;
  }

  /** Checks that the event has no {@code before} image. */
  public ChangeEventAssert hasNoBeforeImage() {
    isNotNull();
    if (actual.before().isPresent()) {
      throw failure(
          "Expected no before image, but there is one with the columns "
              + actual.before().get().keySet());
    }
    return this;
  }

  /** Checks that the event has no {@code after} image. */
  public ChangeEventAssert hasNoAfterImage() {
    isNotNull();
    if (actual.after().isPresent()) {
      throw failure(
          "Expected no after image, but there is one with the columns "
              + actual.after().get().keySet());
    }
    return this;
  }

  /**
   * Checks that no column of either image holds {@code value}, directly or as an element of an
   * array: for example that a masking transform leaked nothing. Does nothing for {@code null} and
   * {@link Unchanged#VALUE}, which are not secrets.
   */
  public ChangeEventAssert doesNotContainValue(@Nullable Object value) {
    isNotNull();
    if (value == null || value == Unchanged.VALUE) {
      return this;
    }
    List<String> found = new ArrayList<>();
    findValue("before", actual.before(), value, found);
    findValue("after", actual.after(), value, found);
    if (!found.isEmpty()) {
      throw failure(
          "Expected no column to hold "
              + EventText.value(value)
              + ", but "
              + String.join(", ", found)
              + " does");
    }
    return this;
  }

  /** Checks the event's position. */
  public ChangeEventAssert hasPosition(Position position) {
    Objects.requireNonNull(position, "position");
    isNotNull();
    if (!actual.position().equals(position)) {
      throw failure("Expected the position " + position + ", but it is " + actual.position());
    }
    return this;
  }

  /** Checks the destination a transform chose. */
  public ChangeEventAssert hasDestination(String destination) {
    Objects.requireNonNull(destination, "destination");
    isNotNull();
    if (!actual.destination().equals(Optional.of(destination))) {
      throw failure(
          "Expected the destination "
              + EventText.value(destination)
              + ", but "
              + actual
                  .destination()
                  .map(d -> "it is " + EventText.value(d))
                  .orElse("there is none"));
    }
    return this;
  }

  private ChangeEventAssert hasColumn(
      String which,
      @Nullable Optional<Map<String, @Nullable Object>> image,
      String column,
      @Nullable Object value) {
    Objects.requireNonNull(column, "column");
    isNotNull();
    String expectation = "Expected " + which + " column " + column + " = " + EventText.value(value);
    Map<String, @Nullable Object> row =
        image(expectation, which, Objects.requireNonNull(image), column);
    checkValue(expectation, value, row.get(column));
    return this;
  }

  private Map<String, @Nullable Object> image(
      String expectation,
      String which,
      Optional<Map<String, @Nullable Object>> image,
      String column) {
    if (image.isEmpty()) {
      throw failure(expectation + ", but there is no " + which + " image");
    }
    if (!image.get().containsKey(column)) {
      throw failure(
          expectation
              + ", but the "
              + which
              + " image has no column "
              + column
              + " (it has "
              + image.get().keySet()
              + ")");
    }
    return image.get();
  }

  private void checkValue(String expectation, @Nullable Object expected, @Nullable Object value) {
    if (!Objects.deepEquals(expected, value)) {
      throw failure(expectation + ", but it is " + EventText.differentValue(expected, value));
    }
  }

  private static void findValue(
      String which,
      Optional<Map<String, @Nullable Object>> image,
      Object value,
      List<String> found) {
    image.ifPresent(
        row ->
            row.forEach(
                (column, held) -> {
                  if (holds(held, value)) {
                    found.add(which + " column " + column);
                  }
                }));
  }

  private static boolean holds(@Nullable Object held, Object value) {
    if (Objects.deepEquals(held, value)) {
      return true;
    }
    if (held instanceof Collection) {
      for (Object element : (Collection<?>) held) {
        if (holds(element, value)) {
          return true;
        }
      }
    }
    return false;
  }

  private AssertionError failure(String message) {
    String text = message + ":\n  " + EventText.describe(actual);
    String overriding = info.overridingErrorMessage();
    if (overriding != null) {
      text = overriding;
    }
    String description = info.descriptionText();
    return Failures.instance()
        .failure(
            description == null || description.isEmpty() ? text : "[" + description + "] " + text);
  }

  private static String article(Operation operation) {
    return (operation == Operation.INSERT || operation == Operation.UPDATE ? "an " : "a ")
        + operation;
  }
}
