package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.ErrorPolicy;
import io.datis.api.SinkException;
import io.datis.api.UndeliverableEventException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.sink.Sink;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Whatever the sink does with a batch ends in one outcome, and an undeliverable event meets the
 * policy.
 */
class SinkDispatchTest {

  private static final TableId ORDERS = TableId.of("public", "orders");

  private final List<List<ChangeEvent>> handed = new ArrayList<>();

  @Test
  void completesWhenTheSinkDoes() {
    CompletableFuture<Void> acknowledgement = new CompletableFuture<>();
    SinkDispatch dispatch = dispatch(ErrorPolicy.fail(), batch -> acknowledgement);

    CompletableFuture<Void> delivered = dispatch.deliver(events(1, 2), List.of());

    assertThat(delivered).isNotDone();
    acknowledgement.complete(null);
    assertThat(delivered).isCompleted();
  }

  @Test
  void aSinkThatThrowsOrReturnsNullFailsTheBatchNamingItsPositions() {
    for (Function<List<ChangeEvent>, CompletionStage<Void>> broken :
        List.<Function<List<ChangeEvent>, CompletionStage<Void>>>of(
            batch -> {
              throw new IllegalStateException("boom");
            },
            batch -> null)) {
      CompletableFuture<Void> delivered =
          dispatch(ErrorPolicy.fail(), broken).deliver(events(1, 2), List.of());

      assertThat(delivered).isCompletedExceptionally();
      Throwable failure = delivered.handle((ignored, error) -> error).join();
      assertThat(failure)
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOf(SinkException.class)
          .hasMessageContaining(
              "failed to deliver a batch of 2 events (from lsn 0/1 tx 7 #1 to lsn 0/2 tx 7 #2)")
          .hasMessageEndingWith(
              "Nothing from this batch on was committed: it is delivered again when the pipeline restarts");
    }
  }

  @Test
  void anEventTheSinkCannotDeliverIsSkippedAndTheRestHandedOverAgainInOrder() {
    List<ChangeEvent> batch = events(1, 2, 3);
    SinkDispatch dispatch =
        dispatch(
            ErrorPolicy.skip(),
            handedOver ->
                handedOver.contains(batch.get(1))
                    ? CompletableFuture.failedFuture(
                        new UndeliverableEventException(
                            "too large", ORDERS, batch.get(1).position(), null))
                    : CompletableFuture.completedFuture(null));

    CompletableFuture<Void> delivered = dispatch.deliver(batch, List.of());

    assertThat(delivered).isCompleted();
    assertThat(handed).containsExactly(batch, List.of(batch.get(0), batch.get(2)));
  }

  @Test
  void underTheFailPolicyAnUndeliverableEventFailsTheBatch() {
    List<ChangeEvent> batch = events(1, 2);
    SinkDispatch dispatch =
        dispatch(
            ErrorPolicy.fail(),
            handedOver ->
                CompletableFuture.failedFuture(
                    new UndeliverableEventException(
                        "too large", ORDERS, batch.get(0).position(), null)));

    assertThat(dispatch.deliver(batch, List.of())).isCompletedExceptionally();
    assertThat(handed).hasSize(1);
  }

  @Test
  void theBatchWaitsForPoisonEventsHandledBeforeTheSink() {
    CompletableFuture<Void> poisonHandled = new CompletableFuture<>();
    SinkDispatch dispatch =
        dispatch(ErrorPolicy.skip(), batch -> CompletableFuture.completedFuture(null));

    CompletableFuture<Void> delivered = dispatch.deliver(events(1), List.of(poisonHandled));

    assertThat(delivered).isNotDone();
    poisonHandled.complete(null);
    assertThat(delivered).isCompleted();
  }

  private SinkDispatch dispatch(
      ErrorPolicy policy, Function<List<ChangeEvent>, CompletionStage<Void>> deliver) {
    Sink sink =
        batch -> {
          handed.add(batch);
          return deliver.apply(batch);
        };
    PipelineMetrics metrics =
        PipelineMetrics.of(null, "test", () -> 0, () -> 0, () -> null, () -> null, () -> null);
    return new SinkDispatch(
        sink, new PoisonEvents("test", policy, metrics), metrics, BatchTracing.OFF);
  }

  private static List<ChangeEvent> events(int... sequences) {
    List<ChangeEvent> events = new ArrayList<>();
    for (int sequence : sequences) {
      events.add(
          ChangeEvent.builder(Operation.INSERT, ORDERS)
              .keyColumns(List.of("id"))
              .after(Map.of("id", sequence))
              .position(Position.of(sequence, 7, sequence))
              .commitTime(Instant.EPOCH)
              .build());
    }
    return List.copyOf(events);
  }
}
