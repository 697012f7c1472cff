package io.datis.bench;

import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.PipelineBuilder;
import io.datis.SnapshotMode;
import io.datis.api.sink.Sink;
import io.datis.pubsub.OrderingKeys;
import io.datis.pubsub.PubSubSink;
import io.opentelemetry.api.OpenTelemetry;

/**
 * Scenarios 3, 3t, 4, 6 and 6p (and the latency mode): a Datis pipeline with its defaults; 6 and 6p
 * with an initial snapshot, read by {@code --snapshot-threads} threads.
 */
final class DatisScenarios {

  private DatisScenarios() {}

  static Pipeline start(ChildSpec spec, Sink sink) {
    return builder(spec).to(sink).start();
  }

  /** The same pipeline, each batch traced with {@code openTelemetry}. */
  static Pipeline start(ChildSpec spec, Sink sink, OpenTelemetry openTelemetry) {
    return builder(spec).tracing(openTelemetry).to(sink).start();
  }

  private static PipelineBuilder builder(ChildSpec spec) {
    PipelineBuilder builder =
        Datis.capture(spec.source())
            .name("bench-" + spec.get("scenario"))
            .slotName(spec.get("slot"))
            .publicationName(spec.get("publication"))
            .tables(spec.get("table"))
            .offsets(OffsetStore.inMemory());
    int pollIntervalMs = Integer.parseInt(spec.get("pollIntervalMs"));
    if (pollIntervalMs > 0) {
      builder.debeziumProperty("poll.interval.ms", Integer.toString(pollIntervalMs));
    }
    if (Scenario.byLabel(spec.get("scenario")).readsTheTable()) {
      return builder
          .snapshot(SnapshotMode.INITIAL)
          .debeziumProperty("snapshot.max.threads", spec.get("snapshotThreads"));
    }
    return builder.snapshot(SnapshotMode.CHANGES_ONLY);
  }

  /**
   * The sink's defaults (Datis JSON, ordering keys from table and primary key), or bucketed
   * ordering keys when {@code --ordering-buckets} asks for them.
   */
  static PubSubSink pubSubSink(ChildSpec spec) {
    PubSubSink.Builder sink =
        PubSubSink.builder(spec.get("project"), spec.get("topic")).emulator(spec.get("pubsub"));
    int buckets = Integer.parseInt(spec.get("orderingBuckets"));
    if (buckets > 0) {
      sink.orderingKeys(OrderingKeys.tableAndKeyBucket(buckets));
    }
    return sink.build();
  }
}
