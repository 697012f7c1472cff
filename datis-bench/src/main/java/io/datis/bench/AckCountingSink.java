package io.datis.bench;

import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.api.sink.SinkContext;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Wraps a sink and counts each batch when the stage the sink returned for it completes. */
final class AckCountingSink implements Sink {

  private final Sink delegate;
  private final Progress progress;

  AckCountingSink(Sink delegate, Progress progress) {
    this.delegate = delegate;
    this.progress = progress;
  }

  @Override
  public void open(SinkContext context) throws Exception {
    delegate.open(context);
  }

  @Override
  public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
    progress.seen();
    int size = batch.size();
    return delegate
        .deliver(batch)
        .whenComplete(
            (ignored, error) -> {
              if (error == null) {
                progress.add(size);
              } else {
                progress.fail(error);
              }
            });
  }

  @Override
  public void close() {
    Sinks.close(delegate);
  }
}
