package io.datis.internal;

import io.datis.ErrorPolicy;
import io.datis.api.DatisException;
import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.DeadLetterSink;
import io.datis.api.sink.SinkContext;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the pipeline's {@link ErrorPolicy} to an event that a transform failed on or that the
 * sink reported undeliverable. Called on the engine thread only, so the dead-letter sink sees one
 * caller.
 */
final class PoisonEvents {

  private static final Logger log = LoggerFactory.getLogger(PoisonEvents.class);

  private final String pipeline;
  private final ErrorPolicy policy;
  private final @Nullable DeadLetterSink deadLetters;
  private final PipelineMetrics metrics;

  /**
   * Each kind of failure is logged at WARN once: a failure that repeats is then logged at DEBUG.
   */
  private final TroubleLog troubles =
      new TroubleLog(log, "further such events are logged at DEBUG and counted in metrics");

  PoisonEvents(String pipeline, ErrorPolicy policy, PipelineMetrics metrics) {
    this.pipeline = pipeline;
    this.policy = policy;
    this.deadLetters = policy.deadLetterSink().orElse(null);
    this.metrics = metrics;
  }

  /** Whether the policy stops the pipeline, so that the failure takes its usual path. */
  boolean stopsThePipeline() {
    return policy.kind() == ErrorPolicy.Kind.FAIL;
  }

  void open(SinkContext context) {
    if (deadLetters == null) {
      return;
    }
    try {
      deadLetters.open(context);
    } catch (DatisException e) {
      throw e;
    } catch (Exception e) {
      throw new SinkException(
          "Dead-letter sink "
              + deadLetters.getClass().getName()
              + " failed to open: "
              + e.getMessage(),
          e);
    }
  }

  void close() {
    if (deadLetters == null) {
      return;
    }
    try {
      deadLetters.close();
    } catch (Exception e) {
      log.warn(
          "Pipeline '{}': dead-letter sink {} failed to close: {}",
          pipeline,
          deadLetters.getClass().getName(),
          e.toString());
    }
  }

  /**
   * Skips or dead-letters the event (never called under {@link ErrorPolicy#fail()}).
   *
   * @return completes once the pipeline may commit past the event; fails with a {@link
   *     SinkException} if the dead-letter sink could not store it
   */
  CompletableFuture<Void> handle(ChangeEvent event, DeadLetter.Stage stage, DatisException error) {
    String reason = error.getMessage() == null ? error.getClass().getName() : error.getMessage();
    if (deadLetters == null) {
      metrics.skipped(event);
      logOnce(stage, error, "skipped", event, reason);
      return CompletableFuture.completedFuture(null);
    }
    logOnce(stage, error, "sent to the dead-letter sink", event, reason);
    DeadLetter letter =
        new DeadLetter(event, stage, reason, error.getClass().getName(), Instant.now());
    CompletableFuture<Void> stored = new CompletableFuture<>();
    CompletionStage<Void> delivery;
    try {
      delivery = deadLetters.deliver(letter);
      if (delivery == null) {
        throw new IllegalStateException("deliver(...) returned null instead of a CompletionStage");
      }
    } catch (RuntimeException e) {
      delivery = CompletableFuture.failedFuture(e);
    }
    delivery.whenComplete(
        (ignored, failure) -> {
          if (failure == null) {
            metrics.deadLettered(event);
            stored.complete(null);
          } else {
            stored.completeExceptionally(deadLetterFailed(letter, failure));
          }
        });
    return stored;
  }

  private void logOnce(
      DeadLetter.Stage stage, DatisException error, String what, ChangeEvent event, String reason) {
    troubles.occurred(
        stage + " " + error.getClass().getName(),
        "Pipeline '{}' {} the {} of {} at {} ({} failed): {}",
        pipeline,
        what,
        event.operation(),
        event.table(),
        event.position(),
        stage,
        reason);
  }

  private SinkException deadLetterFailed(DeadLetter letter, Throwable failure) {
    Throwable cause = Completions.cause(failure);
    return new SinkException(
        "Dead-letter sink "
            + (deadLetters == null ? "" : deadLetters.getClass().getName())
            + " failed to store the "
            + letter.event().operation()
            + " of "
            + letter.event().table()
            + " at "
            + letter.event().position()
            + ": "
            + cause
            + ". Nothing from this event on was committed: it is processed again when the pipeline restarts",
        cause);
  }
}
