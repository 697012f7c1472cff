package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.testkit.internal.EventText;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.assertj.core.api.AbstractAssert;
import org.assertj.core.internal.Failures;
import org.jspecify.annotations.Nullable;

/**
 * AssertJ assertions on a list of {@link ChangeEvent}s in delivery order, such as the events an
 * {@link InMemorySink} received for one table; start with {@link
 * InMemorySinkAssert#receivedFor(String)} or {@link DatisAssertions#assertThatEvents(List)}.
 *
 * <pre>{@code
 * assertThat(sink).receivedFor("public.orders").containsOperationsInOrder(INSERT, UPDATE, DELETE);
 * assertThat(sink).receivedFor("public.orders").forKey("id", 10).last().isDeleteOf("id", 10);
 * }</pre>
 *
 * <p>Failure messages list the events, one per line (operation, table, key, position), without
 * their column values.
 */
public final class ChangeEventListAssert
    extends AbstractAssert<ChangeEventListAssert, List<ChangeEvent>> {

  private final String what;

  ChangeEventListAssert(List<ChangeEvent> actual, String what) {
    super(List.copyOf(actual), ChangeEventListAssert.class);
    this.what = what;
  }

  /** Checks that there are exactly {@code count} events. */
  public ChangeEventListAssert hasSize(int count) {
    if (actual.size() != count) {
      throw failure("Expected " + count + " " + what + ", but there " + are(actual.size()));
    }
    return this;
  }

  /** Checks that there are no events. */
  public ChangeEventListAssert isEmpty() {
    if (!actual.isEmpty()) {
      throw failure("Expected no " + what + ", but there " + are(actual.size()));
    }
    return this;
  }

  /**
   * Checks that the events' operations contain these, in this order, possibly with other events
   * between them (so that an event delivered twice, as at-least-once delivery allows, does not
   * matter).
   */
  public ChangeEventListAssert containsOperationsInOrder(Operation... operations) {
    List<Operation> expected = List.of(operations);
    List<Operation> actualOperations = operations();
    int next = 0;
    for (Operation operation : actualOperations) {
      if (next < expected.size() && operation == expected.get(next)) {
        next++;
      }
    }
    if (next < expected.size()) {
      throw failure(
          "Expected the "
              + what
              + " to contain the operations "
              + expected
              + " in this order, but their operations are "
              + actualOperations);
    }
    return this;
  }

  /** Checks that the events' operations are exactly these, in this order. */
  public ChangeEventListAssert hasOperations(Operation... operations) {
    List<Operation> expected = List.of(operations);
    if (!operations().equals(expected)) {
      throw failure(
          "Expected the "
              + what
              + " to have exactly the operations "
              + expected
              + ", but they are "
              + operations());
    }
    return this;
  }

  /**
   * Continues with the events whose key column {@code column} is {@code value}: the changes of one
   * row.
   */
  public ChangeEventListAssert forKey(String column, @Nullable Object value) {
    Objects.requireNonNull(column, "column");
    List<ChangeEvent> matching = new ArrayList<>();
    for (ChangeEvent event : actual) {
      Map<String, @Nullable Object> key = event.key();
      if (key.containsKey(column) && Objects.deepEquals(key.get(column), value)) {
        matching.add(event);
      }
    }
    return new ChangeEventListAssert(
        matching, what + " with key " + column + "=" + EventText.value(value));
  }

  /** Continues with the first event; fails if there is none. */
  public ChangeEventAssert first() {
    return element(0);
  }

  /** Continues with the last event; fails if there is none. */
  public ChangeEventAssert last() {
    if (actual.isEmpty()) {
      throw failure("Expected a last event among the " + what + ", but there are none");
    }
    return element(actual.size() - 1);
  }

  /** Continues with the event at {@code index} (0 for the first); fails if there is none. */
  public ChangeEventAssert element(int index) {
    if (index < 0 || index >= actual.size()) {
      throw failure(
          "Expected an event at index "
              + index
              + " among the "
              + what
              + ", but there "
              + are(actual.size()));
    }
    return new ChangeEventAssert(actual.get(index));
  }

  private List<Operation> operations() {
    List<Operation> operations = new ArrayList<>(actual.size());
    actual.forEach(event -> operations.add(event.operation()));
    return operations;
  }

  private static String are(int count) {
    return count == 0 ? "are none" : count == 1 ? "is 1" : "are " + count;
  }

  private AssertionError failure(String message) {
    String text = actual.isEmpty() ? message : message + ":" + EventText.describe(actual);
    String overriding = info.overridingErrorMessage();
    if (overriding != null) {
      text = overriding;
    }
    String description = info.descriptionText();
    return Failures.instance()
        .failure(
            description == null || description.isEmpty() ? text : "[" + description + "] " + text);
  }
}
