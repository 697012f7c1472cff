package io.datis.bench;

import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Scenario 3's sink: counts each batch and completes at once, keeping nothing. */
final class CountingSink implements Sink {

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final Progress progress;

  CountingSink(Progress progress) {
    this.progress = progress;
  }

  @Override
  public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
    progress.add(batch.size());
    return DONE;
  }

  @Override
  public void close() {}
}
