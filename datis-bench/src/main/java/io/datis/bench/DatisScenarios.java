package io.datis.bench;

import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.sink.Sink;
import io.datis.pubsub.PubSubSink;

/** Scenarios 3 and 4 (and the latency mode): a Datis pipeline with its defaults. */
final class DatisScenarios {

  private DatisScenarios() {}

  static Pipeline start(ChildSpec spec, Sink sink) {
    return Datis.capture(spec.source())
        .name("bench-" + spec.get("scenario"))
        .tables(spec.get("table"))
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory())
        .to(sink)
        .start();
  }

  /** The sink's defaults: Datis JSON, ordering keys from table and primary key. */
  static PubSubSink pubSubSink(ChildSpec spec) {
    return PubSubSink.builder(spec.get("project"), spec.get("topic"))
        .emulator(spec.get("pubsub"))
        .build();
  }
}
