package io.datis;

import io.datis.api.DatisException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A running pipeline, returned by {@link PipelineBuilder#start()}. It runs on its own threads until
 * it is closed or fails.
 *
 * <p>{@link #close()} stops capturing, waits (up to the builder's close timeout) for the sink to
 * finish the batches it holds, commits what was delivered (waiting briefly for the end of a
 * transaction whose changes were all delivered) and releases the replication connection. Events the
 * sink had not finished stay uncommitted and are delivered again by the next pipeline with the same
 * offsets and slot.
 */
public interface Pipeline extends AutoCloseable {

  /**
   * The SLF4J MDC key holding the pipeline's name on every thread that runs Datis code, including
   * around transforms and sink calls: a Logback pattern shows it with {@code %X{datis.pipeline}}.
   */
  String MDC_KEY = "datis.pipeline";

  /** The pipeline's name. */
  String name();

  /** Whether the pipeline is capturing: started, and neither closed nor failed. */
  boolean isRunning();

  /**
   * Waits, without a time limit, until the pipeline stops: returns once it was {@link #close()}d,
   * throws if it failed. A service's main thread can run a pipeline this way until shutdown.
   *
   * @throws DatisException the failure that stopped the pipeline (the one {@link #failure()} holds)
   * @throws InterruptedException if the waiting thread is interrupted; the pipeline runs on
   */
  void awaitTermination() throws InterruptedException;

  /**
   * Waits up to {@code timeout} until the pipeline stops.
   *
   * @return {@code true} once it was {@link #close()}d; {@code false} if it is still running when
   *     the timeout elapses
   * @throws DatisException the failure that stopped the pipeline (the one {@link #failure()} holds)
   * @throws InterruptedException if the waiting thread is interrupted; the pipeline runs on
   */
  boolean awaitTermination(Duration timeout) throws InterruptedException;

  /**
   * Completes when the pipeline stops: normally after {@link #close()}, exceptionally with the
   * failure.
   */
  CompletionStage<Void> termination();

  /**
   * Reads the given captured tables again while changes keep streaming (an incremental snapshot),
   * for example to backfill a new consumer: every existing row arrives as a {@link
   * io.datis.api.event.Operation#SNAPSHOT_READ} event. Tables are read in chunks of their key, and
   * a chunk's rows are delivered at the place in the stream where the chunk was read, leaving out
   * rows changed while it was: a row's snapshot event never follows a newer change of that row, and
   * the last event of each row is its latest state. Progress shows in {@link #health()} and the
   * {@code datis.snapshot.tables.remaining} gauge.
   *
   * <p>The request is a row in the pipeline's signal table ({@code public.<slot>_signals}, e.g.
   * {@code public.datis_orders_signals}), which travels with the changes: a pipeline that stops or
   * crashes goes on reading where its committed offsets were when it starts again (chunks read
   * after them are read again).
   *
   * <pre>{@code
   * pipeline.snapshot("public.orders").toCompletableFuture().join();
   * }</pre>
   *
   * @param tables schema-qualified names of captured tables, such as {@code "public.orders"}
   * @return completes once every table was read and the sink acknowledged its rows; fails if this
   *     pipeline stops first (the next one goes on). A table that cannot be read to the end stops
   *     the pipeline with an error naming it.
   * @throws IllegalArgumentException naming a table that the pipeline does not capture, or that has
   *     no key (primary key or replica identity index) to read it in chunks by
   * @throws IllegalStateException if the pipeline is not running
   */
  CompletionStage<Void> snapshot(String... tables);

  /** How the pipeline is doing: UP, DEGRADED (with reasons, e.g. the sink retrying) or DOWN. */
  Health health();

  /** The failure that stopped the pipeline, if one did. */
  Optional<Throwable> failure();

  /**
   * Stops the pipeline cleanly and returns once it has stopped; see the class description.
   * Idempotent, and not cut short by an interrupt. Called from a transform or a sink (on the
   * pipeline's own thread), it returns at once and the pipeline stops in the background; {@link
   * #termination()} tells when.
   */
  @Override
  void close();
}
