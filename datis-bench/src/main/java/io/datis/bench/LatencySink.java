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
  private long[] commits = new long[1 << 16];
  private int size;
  private long firstCommitMicros = Long.MAX_VALUE;

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
        commits = Arrays.copyOf(commits, size * 2);
      }
      firstCommitMicros = Math.min(firstCommitMicros, commitMicros);
      commits[size] = commitMicros;
      micros[size++] = ackMicros - commitMicros;
    }
  }

  synchronized int count() {
    return size;
  }

  /**
   * The latencies recorded so far, in microseconds, sorted, of the events committed at least {@code
   * warmupSeconds} after the first one (0: all of them).
   */
  synchronized long[] sortedMicros(int warmupSeconds) {
    long from =
        warmupSeconds == 0 ? Long.MIN_VALUE : firstCommitMicros + warmupSeconds * 1_000_000L;
    long[] kept = new long[size];
    int count = 0;
    for (int i = 0; i < size; i++) {
      if (commits[i] >= from) {
        kept[count++] = micros[i];
      }
    }
    long[] sorted = Arrays.copyOf(kept, count);
    Arrays.sort(sorted);
    return sorted;
  }

  @Override
  public void close() {
    Sinks.close(delegate);
  }
}
