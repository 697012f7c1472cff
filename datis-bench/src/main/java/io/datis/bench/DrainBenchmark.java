package io.datis.bench;

import io.datis.testkit.pubsub.LocalPubSub;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The drain mode: per run, one slot per scenario is created before the rows are loaded, then each
 * scenario drains its slot in a JVM of its own, so that every scenario reads the same WAL.
 */
final class DrainBenchmark {

  static final String PROJECT = "datis-bench";

  private final BenchOptions options;
  private final Path results;

  DrainBenchmark(BenchOptions options, Path results) {
    this.options = options;
    this.results = results;
  }

  List<Measurement> run() throws Exception {
    List<Scenario> scenarios = new ArrayList<>();
    for (Scenario scenario : Scenario.values()) {
      if (options.scenarios.contains(scenario.group())) {
        scenarios.add(scenario);
      }
    }
    Optional<Path> recvLogical = RecvLogical.find();
    List<Measurement> measurements = new ArrayList<>();
    LocalPubSub pubsub = null;
    try (BenchDatabase database = BenchDatabase.start()) {
      if (scenarios.stream().anyMatch(Scenario::usesPubSub)) {
        pubsub = LocalPubSub.create().start();
      }
      for (int run = 1; run <= options.runs; run++) {
        System.err.printf("=== Run %d of %d ===%n", run, options.runs);
        List<String> slots = new ArrayList<>();
        for (Scenario scenario : scenarios) {
          slots.add(scenario.slotName(run));
        }
        String endLsn =
            database.prepareDrain(slots, options.rows, options.rowBytes, options.txSize);
        for (Scenario scenario : scenarios) {
          Measurement measurement = measure(scenario, run, database, pubsub, recvLogical, endLsn);
          measurements.add(measurement);
          database.dropSlot(scenario.slotName(run));
          System.err.println("  " + Report.describe(measurement));
        }
      }
      database.dropSlots();
    } finally {
      if (pubsub != null) {
        pubsub.close();
      }
    }
    return measurements;
  }

  private Measurement measure(
      Scenario scenario,
      int run,
      BenchDatabase database,
      @Nullable LocalPubSub pubsub,
      Optional<Path> recvLogical,
      String endLsn) {
    System.err.printf("[%s] %s, run %d%n", scenario.label(), scenario.title(), run);
    try {
      if (scenario == Scenario.CEILING_RECVLOGICAL) {
        if (recvLogical.isEmpty()) {
          return Measurement.skipped(
              scenario,
              run,
              "skipped: no pg_recvlogical binary (not in the embedded binaries, pg_config"
                  + " --bindir or PATH)");
        }
        return RecvLogical.drain(
            recvLogical.get(),
            database,
            scenario.slotName(run),
            endLsn,
            options.rows,
            run,
            options.timeoutSeconds);
      }
      var pg = database.postgres();
      ChildSpec spec =
          ChildSpec.create()
              .with("mode", "drain")
              .with("scenario", scenario.label())
              .with("run", run)
              .with("host", pg.host())
              .with("port", pg.port())
              .with("database", pg.database())
              .with("user", pg.user())
              .with("slot", scenario.slotName(run))
              .with("publication", BenchDatabase.DRAIN_PUBLICATION)
              .with("table", BenchDatabase.DRAIN_TABLE)
              .with("expected", options.rows)
              .with("timeout", options.timeoutSeconds);
      String topic = "bench-r" + run + "-s" + scenario.label();
      if (scenario.usesPubSub()) {
        LocalPubSub server = Objects.requireNonNull(pubsub, "pubsub");
        server.reset();
        server.createTopic(PROJECT, topic);
        spec.with("pubsub", server.hostPort())
            .with("project", PROJECT)
            .with("topic", topic)
            .with("orderingBuckets", options.orderingBuckets);
      }
      Measurement measurement;
      try (ChildProcess child = ChildProcess.start(spec, options, pg.password(), results)) {
        measurement = child.result(Measurement.class, options.timeoutSeconds + 120L);
      }
      if (scenario.usesPubSub()) {
        LocalPubSub server = Objects.requireNonNull(pubsub, "pubsub");
        int published = server.publishedMessages(PROJECT, topic).size();
        server.reset();
        measurement =
            new Measurement(
                measurement.label(),
                measurement.scenario(),
                measurement.run(),
                measurement.events(),
                measurement.firstEventMs(),
                measurement.drainSeconds(),
                measurement.eventsPerSecond(),
                measurement.peakHeapMb(),
                measurement.peakRssMb(),
                String.format("LocalPubSub stored %,d messages", published));
      }
      return measurement;
    } catch (Exception e) {
      System.err.println("  [" + scenario.label() + "] failed: " + e);
      return Measurement.skipped(scenario, run, "failed: " + e.getMessage());
    }
  }
}
