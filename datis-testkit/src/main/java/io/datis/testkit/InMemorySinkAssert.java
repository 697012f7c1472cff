package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.TableId;
import io.datis.testkit.internal.EventText;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.assertj.core.api.AbstractAssert;
import org.assertj.core.internal.Failures;
import org.jspecify.annotations.Nullable;

/**
 * AssertJ assertions on what an {@link InMemorySink} acknowledged; start with {@link
 * DatisAssertions#assertThat(InMemorySink)}.
 *
 * <pre>{@code
 * sink.awaitEvents("public.orders", 2, Duration.ofSeconds(10));
 * assertThat(sink)
 *     .hasNoEventsFor("public.audit")
 *     .receivedFor("public.orders")
 *     .containsOperationsInOrder(INSERT, UPDATE);
 * }</pre>
 *
 * <p>The assertions look at the events acknowledged when they run; wait for asynchronous deliveries
 * first with one of the {@link InMemorySink#awaitEvents(String, int, java.time.Duration)
 * awaitEvents} methods.
 */
public final class InMemorySinkAssert extends AbstractAssert<InMemorySinkAssert, InMemorySink> {

  InMemorySinkAssert(@Nullable InMemorySink actual) {
    super(actual, InMemorySinkAssert.class);
  }

  /** Continues with every event the sink acknowledged, in delivery order. */
  public ChangeEventListAssert received() {
    isNotNull();
    return new ChangeEventListAssert(actual.events(), "events");
  }

  /** Continues with the events the sink acknowledged for {@code table} ({@code schema.table}). */
  public ChangeEventListAssert receivedFor(String table) {
    TableId id = TableId.parse(Objects.requireNonNull(table, "table"));
    isNotNull();
    return new ChangeEventListAssert(eventsFor(actual.events(), id), "events for " + id);
  }

  /** Checks that the sink acknowledged no event for {@code table} ({@code schema.table}). */
  public InMemorySinkAssert hasNoEventsFor(String table) {
    TableId id = TableId.parse(Objects.requireNonNull(table, "table"));
    isNotNull();
    List<ChangeEvent> events = eventsFor(actual.events(), id);
    if (!events.isEmpty()) {
      throw failure(
          "Expected no events for "
              + id
              + ", but the sink has "
              + events.size()
              + ":"
              + EventText.describe(events));
    }
    return this;
  }

  /** Checks that the sink acknowledged no event at all. */
  public InMemorySinkAssert hasNoEvents() {
    isNotNull();
    List<ChangeEvent> events = actual.events();
    if (!events.isEmpty()) {
      throw failure(
          "Expected no events, but the sink has "
              + events.size()
              + ":"
              + EventText.describe(events));
    }
    return this;
  }

  static List<ChangeEvent> eventsFor(List<ChangeEvent> events, TableId table) {
    List<ChangeEvent> matching = new ArrayList<>();
    for (ChangeEvent event : events) {
      if (event.table().equals(table)) {
        matching.add(event);
      }
    }
    return matching;
  }

  private AssertionError failure(String message) {
    String text = message;
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
