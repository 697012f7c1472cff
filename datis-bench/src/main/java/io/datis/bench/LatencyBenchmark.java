package io.datis.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The latency mode: a Datis pipeline captures a table while this JVM inserts rows at a steady rate
 * in small transactions; the scenario JVM records commit-to-acknowledgement latencies.
 */
final class LatencyBenchmark {

  private final BenchOptions options;
  private final Path results;

  LatencyBenchmark(BenchOptions options, Path results) {
    this.options = options;
    this.results = results;
  }

  List<LatencyResult> run() throws Exception {
    List<Scenario> scenarios = new ArrayList<>();
    for (Scenario scenario : List.of(Scenario.DATIS_COUNTING, Scenario.DATIS_PUBSUB)) {
      if (options.scenarios.contains(scenario.group())) {
        scenarios.add(scenario);
      }
    }
    if (scenarios.isEmpty()) {
      scenarios = List.of(Scenario.DATIS_COUNTING, Scenario.DATIS_PUBSUB);
    }
    List<LatencyResult> latencies = new ArrayList<>();
    try (BenchDatabase database = BenchDatabase.start();
        BenchPubSub pubsub = BenchPubSub.open(options, results)) {
      for (Scenario scenario : scenarios) {
        System.err.printf(
            "[%s] %s: %,d rows/s for %d s, %d rows per transaction%n",
            scenario.label(),
            scenario.title(pubsub.name()),
            options.rate,
            options.durationSeconds,
            options.latencyTxRows);
        latencies.add(measure(scenario, database, pubsub));
        database.dropSlots();
      }
    }
    return latencies;
  }

  private LatencyResult measure(Scenario scenario, BenchDatabase database, BenchPubSub pubsub)
      throws Exception {
    var pg = database.postgres();
    String topic = "bench-latency-" + scenario.label();
    ChildSpec spec =
        ChildSpec.create()
            .with("mode", "latency")
            .with("scenario", scenario.label())
            .with("host", pg.host())
            .with("port", pg.port())
            .with("database", pg.database())
            .with("user", pg.user())
            .with("slot", "bench_latency_" + scenario.label())
            .with("publication", BenchDatabase.LATENCY_PUBLICATION)
            .with("table", BenchDatabase.LATENCY_TABLE)
            .with("timeout", options.timeoutSeconds)
            .with("warmup", options.warmupSeconds)
            .with("pollIntervalMs", options.pollIntervalMs);
    if (scenario == Scenario.DATIS_PUBSUB) {
      pubsub.reset();
      pubsub.createTopic(DrainBenchmark.PROJECT, topic);
      spec.with("pubsub", pubsub.hostPort())
          .with("pubsubServer", pubsub.name())
          .with("project", DrainBenchmark.PROJECT)
          .with("topic", topic)
          .with("orderingBuckets", options.orderingBuckets);
    }
    try (ChildProcess child = ChildProcess.start(spec, options, pg.password(), results)) {
      child.awaitReady(120);
      long inserted = insertSteadily(database);
      child.send(ScenarioRunner.EXPECT_PREFIX + inserted);
      LatencyResult result = child.result(LatencyResult.class, options.timeoutSeconds + 60L);
      pubsub.reset();
      System.err.println("  " + Report.describe(result));
      return result;
    }
  }

  /** Inserts {@code rate} rows a second for {@code duration} seconds; returns the rows inserted. */
  private long insertSteadily(BenchDatabase database) throws Exception {
    int txRows = options.latencyTxRows;
    long interval = TimeUnit.SECONDS.toNanos(1) * txRows / options.rate;
    long transactions = (long) options.rate * options.durationSeconds / txRows;
    String insert =
        "INSERT INTO "
            + BenchDatabase.LATENCY_TABLE
            + " (payload) SELECT rpad(md5(random()::text), ?, md5(random()::text))"
            + " FROM generate_series(1, ?)";
    long inserted = 0;
    long behind = 0;
    try (Connection connection = database.postgres().connect();
        PreparedStatement statement = connection.prepareStatement(insert)) {
      statement.setInt(1, options.rowBytes);
      statement.setInt(2, txRows);
      long start = System.nanoTime();
      for (long i = 0; i < transactions; i++) {
        long due = start + i * interval;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        } else if (wait < -TimeUnit.MILLISECONDS.toNanos(100)) {
          behind++;
        }
        inserted += statement.executeUpdate();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      System.err.printf(
          "  inserted %,d rows in %.1f s (%,.0f rows/s)%s%n",
          inserted,
          seconds,
          inserted / seconds,
          behind > 0 ? ", " + behind + " transactions over 100 ms late" : "");
    }
    return inserted;
  }
}
