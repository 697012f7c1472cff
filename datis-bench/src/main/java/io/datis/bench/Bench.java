package io.datis.bench;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The benchmark command: {@code java -jar datis-bench/target/datis-bench.jar [options]}; {@code
 * --help} lists the options. Results go to stdout and to {@code datis-bench/target/bench-results}.
 */
public final class Bench {

  private Bench() {}

  public static void main(String[] args) throws Exception {
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && !e.getMessage().isEmpty()) {
        System.err.println(e.getMessage());
      }
      System.err.println(BenchOptions.USAGE);
      System.exit(e.getMessage().isEmpty() ? 0 : 2);
      return;
    }
    if (options.pubsub.equals("emulator") && EmulatorServer.unavailableReason().isPresent()) {
      System.err.println(EmulatorServer.unavailableReason().get());
      System.exit(2);
      return;
    }
    Path results = resultsDirectory();
    System.err.println("Results go to " + results);
    if (options.mode.equals("latency")) {
      List<LatencyResult> latencies = new LatencyBenchmark(options, results).run();
      System.out.println();
      System.out.printf(
          "Latency: commit to acknowledgement, %,d rows/s for %d s, %d rows per transaction, Datis's"
              + " poll.interval.ms %s%n%n",
          options.rate,
          options.durationSeconds,
          options.latencyTxRows,
          options.pollIntervalMs > 0 ? options.pollIntervalMs + " ms" : "default (50 ms)");
      System.out.print(Report.latencyTable(latencies));
      Report.writeLatency(results, options, latencies);
    } else {
      List<Measurement> measurements = new DrainBenchmark(options, results).run();
      List<Report.Summary> summaries = Report.summarize(measurements);
      Map<String, Double> ratios = Report.ratios(summaries);
      System.out.println();
      System.out.printf(
          "Drain: %,d rows of %d payload bytes, %,d rows per transaction, median of %d run(s)%n%n",
          options.rows, options.rowBytes, options.txSize, options.runs);
      System.out.print(Report.drainTable(summaries, ratios));
      Report.writeDrain(results, options, measurements, summaries, ratios);
    }
    System.out.println("\nWritten to " + results);
    System.exit(0);
  }

  /** {@code target/bench-results} next to the jar (or the classes directory) this runs from. */
  private static Path resultsDirectory() throws URISyntaxException {
    Path location =
        Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return location.resolveSibling("bench-results");
  }
}
