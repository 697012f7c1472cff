package io.datis.bench;

import java.util.Locale;

/**
 * What the drain and latency benchmarks measure; {@code group} is the number used by {@code
 * --scenarios}.
 */
enum Scenario {
  CEILING_JDBC("1", "1a", "Ceiling: PgJDBC replication stream, pgoutput"),
  CEILING_RECVLOGICAL("1", "1b", "Ceiling: pg_recvlogical, pgoutput"),
  RAW_DEBEZIUM("2", "2", "Raw Debezium async engine, counting consumer"),
  DATIS_COUNTING("3", "3", "Datis -> counting sink"),
  DATIS_TRACED(
      "3", "3t", "Datis, traced (OpenTelemetry SDK, every batch sampled) -> counting sink"),
  DATIS_PUBSUB("4", "4", "Datis -> PubSubSink -> LocalPubSub"),
  BLOCKING_BATCH("5", "5", "Debezium blocking batch -> Publisher -> LocalPubSub"),
  CEILING_COPY("6", "6c", "Snapshot ceiling: COPY (SELECT ...) TO STDOUT, PgJDBC"),
  SNAPSHOT_COUNTING("6", "6", "Datis initial snapshot -> counting sink"),
  SNAPSHOT_PUBSUB("6", "6p", "Datis initial snapshot -> PubSubSink -> LocalPubSub");

  private final String group;
  private final String label;
  private final String title;

  Scenario(String group, String label, String title) {
    this.group = group;
    this.label = label;
    this.title = title;
  }

  String group() {
    return group;
  }

  String label() {
    return label;
  }

  String title() {
    return title;
  }

  /** The replication slot this scenario reads in the given run. */
  String slotName(int run) {
    return "bench_r" + run + "_" + label.toLowerCase(Locale.ROOT);
  }

  /** The title, naming the Pub/Sub server that scenarios 4 and 5 publish to. */
  String title(String pubsubServer) {
    return usesPubSub() ? title.replace("LocalPubSub", pubsubServer) : title;
  }

  boolean usesPubSub() {
    return this == DATIS_PUBSUB || this == BLOCKING_BATCH || this == SNAPSHOT_PUBSUB;
  }

  /**
   * Whether it reads the loaded table instead of the WAL: its slot, if any, must not exist before
   * the load (a Datis snapshot creates its own, after it).
   */
  boolean readsTheTable() {
    return group.equals("6");
  }

  static Scenario byLabel(String label) {
    for (Scenario scenario : values()) {
      if (scenario.label.equals(label)) {
        return scenario;
      }
    }
    throw new IllegalArgumentException("Unknown scenario label '" + label + "'");
  }
}
