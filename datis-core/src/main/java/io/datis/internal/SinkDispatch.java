package io.datis.internal;

import io.datis.api.SinkException;
import io.datis.api.UndeliverableEventException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.Sink;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * Hands batches to the sink and turns what it returns into one outcome per batch. Whatever the sink
 * does (returns a stage, returns {@code null}, throws) ends in a stage; a failure names the sink
 * and the batch. When the sink reports an event undeliverable at once ({@link
 * UndeliverableEventException}) and the error policy does not stop the pipeline, the event is
 * skipped or dead-lettered and the rest of the batch is handed over again, still before any later
 * batch, so order is kept.
 */
final class SinkDispatch {

  private final Sink sink;
  private final PoisonEvents poison;
  private final PipelineMetrics metrics;
  private final BatchTracing tracing;

  SinkDispatch(Sink sink, PoisonEvents poison, PipelineMetrics metrics, BatchTracing tracing) {
    this.sink = sink;
    this.poison = poison;
    this.metrics = metrics;
    this.tracing = tracing;
  }

  /**
   * Delivers a batch.
   *
   * @param poisonHandled the handling of events that failed before the sink (in a transform)
   * @return completes once the sink delivered the batch and every poison event was handled; fails
   *     with a {@link SinkException} (or the dead-letter sink's failure) otherwise
   */
  CompletableFuture<Void> deliver(
      List<ChangeEvent> batch, List<CompletableFuture<Void>> poisonHandled) {
    List<CompletableFuture<Void>> stages = new ArrayList<>(poisonHandled);
    BatchTracing.TracedBatch traced = tracing.start(batch);
    List<ChangeEvent> remaining = traced.events();
    while (!remaining.isEmpty()) {
      List<ChangeEvent> handedOver = remaining;
      long handedAt = System.nanoTime();
      CompletionStage<Void> delivery = traced.inSpan(() -> callSink(handedOver));
      UndeliverableEventException undeliverable =
          poison.stopsThePipeline() ? null : undeliverableAtOnce(delivery);
      int index = undeliverable == null ? -1 : indexOf(remaining, undeliverable);
      if (undeliverable == null || index < 0) {
        stages.add(sinkDelivery(remaining, delivery, handedAt));
        break;
      }
      stages.add(poison.handle(remaining.get(index), DeadLetter.Stage.SINK, undeliverable));
      List<ChangeEvent> rest = new ArrayList<>(remaining);
      rest.remove(index);
      remaining = Collections.unmodifiableList(rest);
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(stages.toArray(CompletableFuture[]::new));
    all.whenComplete((ignored, error) -> traced.end(error));
    return all;
  }

  private CompletionStage<Void> callSink(List<ChangeEvent> batch) {
    try {
      CompletionStage<Void> delivery = sink.deliver(batch);
      if (delivery == null) {
        throw new IllegalStateException("deliver(...) returned null instead of a CompletionStage");
      }
      return delivery;
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The sink's delivery of the batch, its failure turned into a {@link SinkException} naming the
   * batch.
   */
  private CompletableFuture<Void> sinkDelivery(
      List<ChangeEvent> batch, CompletionStage<Void> delivery, long handedAt) {
    CompletableFuture<Void> delivered = new CompletableFuture<>();
    delivery.whenComplete(
        (ignored, error) -> {
          metrics.sinkAnswered(handedAt, error == null);
          if (error == null) {
            metrics.delivered(batch);
            delivered.complete(null);
          } else {
            metrics.failed(batch);
            delivered.completeExceptionally(deliveryFailure(batch, error));
          }
        });
    return delivered;
  }

  /** The sink's {@link UndeliverableEventException}, if its stage already failed with one. */
  private static @Nullable UndeliverableEventException undeliverableAtOnce(
      CompletionStage<Void> delivery) {
    if (!(delivery instanceof CompletableFuture)
        || !((CompletableFuture<Void>) delivery).isCompletedExceptionally()) {
      return null;
    }
    Throwable error = ((CompletableFuture<Void>) delivery).handle((ignored, e) -> e).join();
    Throwable cause = Completions.cause(error);
    return cause instanceof UndeliverableEventException
        ? (UndeliverableEventException) cause
        : null;
  }

  private static int indexOf(List<ChangeEvent> batch, UndeliverableEventException undeliverable) {
    for (int i = 0; i < batch.size(); i++) {
      ChangeEvent event = batch.get(i);
      if (event.position().equals(undeliverable.position())
          && event.table().equals(undeliverable.table())) {
        return i;
      }
    }
    return -1;
  }

  private SinkException deliveryFailure(List<ChangeEvent> batch, Throwable error) {
    Throwable cause = Completions.cause(error);
    return new SinkException(
        "Sink "
            + sink.getClass().getName()
            + " failed to deliver a batch of "
            + batch.size()
            + " events (from "
            + batch.get(0).position()
            + " to "
            + batch.get(batch.size() - 1).position()
            + "): "
            + cause
            + ". Nothing from this batch on was committed: it is delivered again when the pipeline restarts",
        cause);
  }
}
