package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The entry point of Datis' <a href="https://assertj.github.io/doc/">AssertJ</a> assertions on
 * change events and {@link InMemorySink}s.
 *
 * <pre>{@code
 * import static io.datis.api.event.Operation.*;
 * import static io.datis.testkit.DatisAssertions.assertThat;
 *
 * List<ChangeEvent> orders = sink.awaitEvents("public.orders", 2, Duration.ofSeconds(10));
 * assertThat(sink).receivedFor("public.orders").containsOperationsInOrder(INSERT, UPDATE);
 * assertThat(sink).hasNoEventsFor("public.audit");
 * assertThat(orders.get(1)).isUpdateOf("id", 10).hasAfterColumn("status", "paid");
 * }</pre>
 *
 * <p>It can be imported statically next to AssertJ's {@code Assertions.assertThat}: the argument
 * types tell them apart. Failure messages show events as {@code UPDATE public.orders key {id=10} at
 * lsn 0/1A0 tx 26 #1}, with the values of the asserted columns only.
 */
public final class DatisAssertions {

  private DatisAssertions() {}

  /** Assertions on one event. */
  public static ChangeEventAssert assertThat(@Nullable ChangeEvent event) {
    return new ChangeEventAssert(event);
  }

  /** Assertions on what an in-memory sink acknowledged. */
  public static InMemorySinkAssert assertThat(@Nullable InMemorySink sink) {
    return new InMemorySinkAssert(sink);
  }

  /**
   * Assertions on a list of events in delivery order (named so as not to clash with AssertJ's
   * {@code assertThat(List)}).
   */
  public static ChangeEventListAssert assertThatEvents(List<ChangeEvent> events) {
    return new ChangeEventListAssert(Objects.requireNonNull(events, "events"), "events");
  }
}
