package io.datis.pubsub.faults;

import io.datis.Health;
import io.datis.Pipeline;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Samples a pipeline's health every 25 ms on its own thread, with the time of each sample. */
final class HealthLog implements AutoCloseable {

  /** One sample: when (System.nanoTime()), and the health then. */
  record Sample(long nanos, Health health) {
    Health.Status status() {
      return health.status();
    }
  }

  private final Pipeline pipeline;
  private final List<Sample> samples = new ArrayList<>();
  private final Thread sampler;
  private volatile boolean stopped;

  private HealthLog(Pipeline pipeline) {
    this.pipeline = pipeline;
    this.sampler = new Thread(this::run, "fault-health-log");
    this.sampler.setDaemon(true);
  }

  static HealthLog start(Pipeline pipeline) {
    HealthLog log = new HealthLog(pipeline);
    log.sampler.start();
    return log;
  }

  private void run() {
    while (!stopped) {
      Sample sample = new Sample(System.nanoTime(), pipeline.health());
      synchronized (samples) {
        samples.add(sample);
      }
      Workload.sleep(25);
    }
  }

  /** The samples taken between these two System.nanoTime() instants. */
  List<Sample> between(long fromNanos, long toNanos) {
    synchronized (samples) {
      return samples.stream().filter(s -> s.nanos() >= fromNanos && s.nanos() <= toNanos).toList();
    }
  }

  /** Every sample so far. */
  List<Sample> all() {
    return between(Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /**
   * The changes of status, each with its time in ms relative to {@code originNanos} and its
   * reasons, e.g. {@code [-3012 ms UP, 1200 ms DEGRADED (sink retrying for 0 s: ...), 15003 ms
   * UP]}.
   */
  String transitions(long originNanos) {
    List<String> changes = new ArrayList<>();
    Health.Status previous = null;
    for (Sample sample : all()) {
      if (sample.status() != previous) {
        previous = sample.status();
        String reasons =
            sample.health().reasons().isEmpty()
                ? ""
                : " (" + String.join("; ", sample.health().reasons()) + ")";
        changes.add(
            (sample.nanos() - originNanos) / 1_000_000 + " ms " + sample.status() + reasons);
      }
    }
    return changes.stream().collect(Collectors.joining(", ", "[", "]"));
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    sampler.join(5_000);
  }
}
