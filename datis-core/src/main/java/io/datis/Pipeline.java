package io.datis;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A running pipeline, returned by {@link PipelineBuilder#start()}. It runs on its own threads until it is
 * closed or fails.
 *
 * <p>{@link #close()} stops capturing, waits (up to the builder's close timeout) for the sink to finish
 * the batches it holds, commits what was delivered (waiting briefly for the end of a transaction whose
 * changes were all delivered) and releases the replication connection. Events the
 * sink had not finished stay uncommitted and are delivered again by the next pipeline with the same
 * offsets and slot.
 */
public interface Pipeline extends AutoCloseable {

  /** The pipeline's name. */
  String name();

  /** Whether the pipeline is capturing: started, and neither closed nor failed. */
  boolean isRunning();

  /**
   * Waits until the pipeline has stopped, by {@link #close()} or by a failure.
   *
   * @return {@code true} if it stopped, {@code false} if the timeout elapsed first
   */
  boolean awaitTermination(Duration timeout) throws InterruptedException;

  /** Completes when the pipeline stops: normally after {@link #close()}, exceptionally with the failure. */
  CompletionStage<Void> termination();

  /** How the pipeline is doing: UP, DEGRADED (with reasons, e.g. the sink retrying) or DOWN. */
  Health health();

  /** The failure that stopped the pipeline, if one did. */
  Optional<Throwable> failure();

  /**
   * Stops the pipeline cleanly and returns once it has stopped; see the class description. Idempotent,
   * and not cut short by an interrupt. Called from a transform or a sink (on the pipeline's own thread),
   * it returns at once and the pipeline stops in the background; {@link #termination()} tells when.
   */
  @Override
  void close();
}
