package io.datis.bench;

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
      if (options.scenarios.contains(scenario.group())
          && !options.skipped.contains(scenario.label())) {
        scenarios.add(scenario);
      }
    }
    Optional<Path> recvLogical = RecvLogical.find();
    List<Measurement> measurements = new ArrayList<>();
    BenchPubSub pubsub = null;
    try (BenchDatabase database = BenchDatabase.start()) {
      if (scenarios.stream().anyMatch(Scenario::usesPubSub)) {
        pubsub = BenchPubSub.open(options, results);
      }
      for (int run = 1; run <= options.runs; run++) {
        System.err.printf("=== Run %d of %d ===%n", run, options.runs);
        List<String> slots = new ArrayList<>();
        for (Scenario scenario : scenarios) {
          if (!scenario.readsTheTable()) {
            slots.add(scenario.slotName(run));
          }
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
      @Nullable BenchPubSub pubsub,
      Optional<Path> recvLogical,
      String endLsn) {
    String title = pubsub == null ? scenario.title() : scenario.title(pubsub.name());
    System.err.printf("[%s] %s, run %d%n", scenario.label(), title, run);
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
              .with("snapshotThreads", options.snapshotThreads)
              .with("pollIntervalMs", options.pollIntervalMs)
              .with("timeout", options.timeoutSeconds);
      String topic = "bench-r" + run + "-s" + scenario.label();
      if (scenario.usesPubSub()) {
        BenchPubSub server = Objects.requireNonNull(pubsub, "pubsub");
        server.reset();
        server.createTopic(PROJECT, topic);
        spec.with("pubsub", server.hostPort())
            .with("pubsubServer", server.name())
            .with("project", PROJECT)
            .with("topic", topic)
            .with("orderingBuckets", options.orderingBuckets);
      }
      // The server's CPU is read over the scenario JVM's whole run, its only client meanwhile.
      long serverCpuBefore = pubsub == null ? -1 : pubsub.cpuNanos();
      Measurement measurement;
      try (ChildProcess child = ChildProcess.start(spec, options, pg.password(), results)) {
        measurement = child.result(Measurement.class, options.timeoutSeconds + 120L);
      }
      if (scenario.usesPubSub()) {
        BenchPubSub server = Objects.requireNonNull(pubsub, "pubsub");
        double serverCpu =
            CpuTime.microsPerEvent(serverCpuBefore, server.cpuNanos(), measurement.events());
        long counting = System.nanoTime();
        long stored = server.storedMessages(PROJECT, topic);
        long refused = server.refusedOverKeyLimit();
        System.err.printf(
            "  %s: counted %,d messages in %.1f s%n",
            server.name(), stored, (System.nanoTime() - counting) / 1e9);
        server.reset();
        measurement =
            measurement.withServer(
                serverCpu,
                String.format(
                    "%s stored %,d messages%s%s",
                    server.name(),
                    stored,
                    stored == options.rows ? "" : String.format(", expected %,d", options.rows),
                    refused == 0
                        ? ""
                        : String.format(
                            ", refused %,d requests over an ordering key's limit", refused)));
      }
      return measurement;
    } catch (Exception e) {
      System.err.println("  [" + scenario.label() + "] failed: " + e);
      return Measurement.skipped(scenario, run, "failed: " + e.getMessage());
    }
  }
}
