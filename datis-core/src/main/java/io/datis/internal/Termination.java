package io.datis.internal;

import io.datis.api.DatisException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * How a pipeline ends, and what its {@code awaitTermination}, {@code termination()} and {@code
 * failure()} report: closed, or failed with the first {@link DatisException} recorded.
 */
final class Termination {

  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final AtomicReference<@Nullable DatisException> failure = new AtomicReference<>();

  /** Records what stopped the pipeline; {@code false} if a failure was recorded already. */
  boolean recordFailure(DatisException cause) {
    return failure.compareAndSet(null, cause);
  }

  /** The recorded failure, if any. */
  @Nullable DatisException failure() {
    return failure.get();
  }

  /** The pipeline has stopped: exceptionally with the recorded failure, if there is one. */
  void complete() {
    DatisException failed = failure.get();
    if (failed == null) {
      done.complete(null);
    } else {
      done.completeExceptionally(failed);
    }
  }

  boolean isDone() {
    return done.isDone();
  }

  /** Waits until the pipeline stopped, however; not cut short by an interrupt. */
  void awaitUninterruptibly() {
    done.handle((v, e) -> null).join();
  }

  /** Returns once closed; throws the failure once failed. */
  void await() throws InterruptedException {
    try {
      done.get();
    } catch (ExecutionException e) {
      throw recordedFailure();
    }
  }

  /** {@code true} once closed, {@code false} if still running after the timeout. */
  boolean await(Duration timeout) throws InterruptedException {
    try {
      done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      throw recordedFailure();
    } catch (TimeoutException e) {
      return false;
    }
  }

  CompletionStage<Void> stage() {
    return done.minimalCompletionStage();
  }

  Optional<Throwable> failureIfAny() {
    return Optional.ofNullable(failure.get());
  }

  /** The failure the stage completed with: it completes exceptionally with that one alone. */
  private DatisException recordedFailure() {
    DatisException failed = failure.get();
    if (failed == null) {
      throw new IllegalStateException("the pipeline terminated exceptionally without a failure");
    }
    return failed;
  }
}
