package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.ErrorPolicy;
import io.datis.api.SinkException;
import io.datis.api.UndeliverableEventException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.DeadLetterSink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class PoisonEventsTest {

  private static final TableId ORDERS = TableId.of("public", "orders");
  private static final ChangeEvent EVENT =
      ChangeEvent.builder(Operation.UPDATE, ORDERS)
          .keyColumns(List.of("id"))
          .after(Map.of("id", 7))
          .position(Position.of(0x16B3748L, 571, 2))
          .commitTime(Instant.parse("2026-12-04T10:00:00Z"))
          .build();
  private static final UndeliverableEventException TOO_LARGE =
      new UndeliverableEventException(
          "message of 12 MB exceeds Pub/Sub's 10 MB", ORDERS, EVENT.position(), null);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final PipelineMetrics metrics =
      PipelineMetrics.of(registry, "test", () -> 0, () -> 0, () -> null, () -> null, () -> null);

  @Test
  void underSkipTheEventIsCountedAndMayBeCommittedPastAtOnce() {
    PoisonEvents poison = new PoisonEvents("test", ErrorPolicy.skip(), metrics);

    CompletableFuture<Void> handled = poison.handle(EVENT, DeadLetter.Stage.SINK, TOO_LARGE);

    assertThat(handled).isCompleted();
    assertThat(poison.stopsThePipeline()).isFalse();
    assertThat(registry.get("datis.events.skipped").tag("table", "public.orders").counter().count())
        .isEqualTo(1);
  }

  @Test
  void aDeadLetterMayBeCommittedPastOnlyOnceItsSinkStoredIt() {
    List<DeadLetter> letters = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> stored = new CompletableFuture<>();
    DeadLetterSink deadLetters =
        letter -> {
          letters.add(letter);
          return stored;
        };
    PoisonEvents poison = new PoisonEvents("test", ErrorPolicy.deadLetter(deadLetters), metrics);

    CompletableFuture<Void> handled = poison.handle(EVENT, DeadLetter.Stage.SINK, TOO_LARGE);

    assertThat(handled).isNotDone();
    assertThat(letters)
        .singleElement()
        .satisfies(
            letter -> {
              assertThat(letter.event()).isSameAs(EVENT);
              assertThat(letter.stage()).isEqualTo(DeadLetter.Stage.SINK);
              assertThat(letter.reason()).isEqualTo(TOO_LARGE.getMessage());
              assertThat(letter.errorType()).isEqualTo(UndeliverableEventException.class.getName());
            });
    stored.complete(null);
    assertThat(handled).isCompleted();
    assertThat(registry.get("datis.events.dead.lettered").counter().count()).isEqualTo(1);
  }

  @Test
  void aDeadLetterSinkThatFailsOrReturnsNullFailsTheEventsHandling() {
    PoisonEvents failing =
        new PoisonEvents(
            "test",
            ErrorPolicy.deadLetter(
                letter -> CompletableFuture.failedFuture(new IllegalStateException("disk full"))),
            metrics);
    PoisonEvents returningNull =
        new PoisonEvents("test", ErrorPolicy.deadLetter(letter -> null), metrics);

    for (PoisonEvents poison : List.of(failing, returningNull)) {
      CompletableFuture<Void> handled = poison.handle(EVENT, DeadLetter.Stage.TRANSFORM, TOO_LARGE);

      assertThat(handled).isCompletedExceptionally();
      assertThat(catchCause(handled))
          .isInstanceOf(SinkException.class)
          .hasMessageContaining("failed to store the UPDATE of public.orders at ")
          .hasMessageEndingWith(
              "Nothing from this event on was committed: it is processed again when the pipeline restarts");
    }
  }

  private static Throwable catchCause(CompletableFuture<Void> future) {
    try {
      future.get();
      throw new AssertionError("completed normally");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
