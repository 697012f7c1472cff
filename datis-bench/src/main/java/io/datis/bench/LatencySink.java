package io.datis.bench;

import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.api.sink.SinkContext;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Wraps a sink and records, for each event, the time from its transaction's commit in PostgreSQL to
 * the completion of the stage the sink returned for its batch.
 */
final class LatencySink implements Sink {

  private final Sink delegate;
  private long[] micros = new long[1 << 16];
  private int size;

  LatencySink(Sink delegate) {
    this.delegate = delegate;
  }

  @Override
  public void open(SinkContext context) throws Exception {
    delegate.open(context);
  }

  @Override
  public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
    return delegate
        .deliver(batch)
        .whenComplete(
            (ignored, error) -> {
              if (error == null) {
                record(batch, Instant.now());
              }
            });
  }

  private synchronized void record(List<ChangeEvent> batch, Instant acknowledged) {
    long ackMicros = acknowledged.getEpochSecond() * 1_000_000L + acknowledged.getNano() / 1_000;
    for (ChangeEvent event : batch) {
      Instant commit = event.commitTime();
      long commitMicros = commit.getEpochSecond() * 1_000_000L + commit.getNano() / 1_000;
      if (size == micros.length) {
        micros = Arrays.copyOf(micros, size * 2);
      }
      micros[size++] = ackMicros - commitMicros;
    }
  }

  synchronized int count() {
    return size;
  }

  /** The latencies recorded so far, in microseconds, sorted. */
  synchronized long[] sortedMicros() {
    long[] sorted = Arrays.copyOf(micros, size);
    Arrays.sort(sorted);
    return sorted;
  }

  @Override
  public void close() {
    Sinks.close(delegate);
  }
}
