package io.datis.spring.boot.internal;

import io.datis.Pipeline;
import io.datis.PipelineBuilder;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * One configured pipeline: its builder, checked at startup, and the pipeline it started, or why it
 * could not start.
 */
public final class PipelineRunner {

  private final String name;
  private final PipelineBuilder builder;
  private volatile @Nullable Pipeline pipeline;
  private volatile @Nullable RuntimeException startFailure;

  /** A runner for the pipeline that {@code builder} describes. */
  public PipelineRunner(String name, PipelineBuilder builder) {
    this.name = Objects.requireNonNull(name, "name");
    this.builder = Objects.requireNonNull(builder, "builder");
  }

  /** The pipeline's name, its key under {@code datis.pipelines}. */
  public String name() {
    return name;
  }

  /**
   * Starts the pipeline, unless it runs already. {@code onFailure} is told when it fails later.
   *
   * @throws RuntimeException why it could not start, as {@link PipelineBuilder#start()} throws it;
   *     kept for {@link #startFailure()}
   */
  public synchronized void start(BiConsumer<PipelineRunner, Throwable> onFailure) {
    Pipeline running = pipeline;
    if (running != null && running.isRunning()) {
      return;
    }
    Pipeline started;
    try {
      started = builder.start();
    } catch (RuntimeException e) {
      startFailure = e;
      throw e;
    }
    startFailure = null;
    pipeline = started;
    started
        .termination()
        .whenComplete(
            (ignored, failure) -> {
              if (failure != null) {
                onFailure.accept(this, unwrap(failure));
              }
            });
  }

  /** Closes the pipeline, if it was started; returns once it has stopped. */
  public void close() {
    Pipeline started = pipeline;
    if (started != null) {
      started.close();
    }
  }

  /** Whether the pipeline runs (as the active instance or a standby). */
  public boolean isRunning() {
    Pipeline started = pipeline;
    return started != null && started.isRunning();
  }

  /** The pipeline last started, running or stopped; {@code null} before a start succeeded. */
  public @Nullable Pipeline pipeline() {
    return pipeline;
  }

  /** Why the last start failed, if it did. */
  public @Nullable RuntimeException startFailure() {
    return startFailure;
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure.getCause();
    return failure instanceof CompletionException && cause != null ? cause : failure;
  }
}
