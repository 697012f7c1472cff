package io.datis.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.datis.Health;
import io.datis.Pipeline;
import io.datis.api.sink.Sink;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The main class of a scenario JVM: runs one scenario and prints its result as one JSON line,
 * prefixed with {@value #RESULT_PREFIX}, on stdout. Progress and logs go to stderr.
 */
public final class ScenarioRunner {

  static final String RESULT_PREFIX = "DATIS-BENCH-RESULT ";
  static final String READY_LINE = "DATIS-BENCH-READY";
  static final String EXPECT_PREFIX = "EXPECT ";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ScenarioRunner() {}

  public static void main(String[] args) {
    int status = 0;
    try (MemoryMonitor memory = MemoryMonitor.start()) {
      ChildSpec spec = ChildSpec.parse(args);
      Object result =
          spec.get("mode").equals("latency") ? latency(spec, memory) : drain(spec, memory);
      System.out.println(RESULT_PREFIX + JSON.writeValueAsString(result));
      System.out.flush();
    } catch (Throwable e) {
      e.printStackTrace();
      status = 1;
    }
    // Engines and clients may leave non-daemon threads behind; the result is out.
    System.exit(status);
  }

  private static Measurement drain(ChildSpec spec, MemoryMonitor memory) throws Exception {
    Scenario scenario = Scenario.byLabel(spec.get("scenario"));
    long timeout = spec.getLong("timeout");
    Progress progress = new Progress(spec.getLong("expected"));
    String note = "";
    switch (scenario) {
      case CEILING_JDBC:
        runInBackground(() -> CeilingJdbc.drain(spec, progress), progress);
        progress.await(scenario.label(), timeout);
        break;
      case RAW_DEBEZIUM:
        awaitThenClose(DebeziumScenarios.rawCounting(spec, progress), progress, scenario, timeout);
        break;
      case BLOCKING_BATCH:
        awaitThenClose(
            DebeziumScenarios.blockingBatch(spec, progress), progress, scenario, timeout);
        break;
      case CEILING_COPY:
        runInBackground(() -> CeilingCopy.read(spec, progress), progress);
        progress.await(scenario.label(), timeout);
        break;
      case DATIS_COUNTING:
      case SNAPSHOT_COUNTING:
        awaitThenClose(
            DatisScenarios.start(spec, new CountingSink(progress)), progress, scenario, timeout);
        break;
      case DATIS_TRACED:
        TracingSdk tracing = new TracingSdk();
        try {
          awaitThenClose(
              DatisScenarios.start(spec, new CountingSink(progress), tracing.openTelemetry()),
              progress,
              scenario,
              timeout);
        } finally {
          tracing.close(); // exports what is left
        }
        note = tracing.exportedSpans() + " spans exported";
        break;
      case DATIS_PUBSUB:
      case SNAPSHOT_PUBSUB:
        Sink sink = new AckCountingSink(DatisScenarios.pubSubSink(spec), progress);
        awaitThenClose(DatisScenarios.start(spec, sink), progress, scenario, timeout);
        break;
      default:
        throw new IllegalArgumentException(scenario + " does not run in a scenario JVM");
    }
    double seconds = progress.drainSeconds();
    return new Measurement(
        scenario.label(),
        title(scenario, spec),
        Integer.parseInt(spec.get("run")),
        progress.count(),
        progress.firstEventMillis(),
        seconds,
        progress.count() / seconds,
        memory.peakHeapMb(),
        MemoryMonitor.peakRssMb(),
        progress.cpuMicrosPerEvent(),
        -1,
        note);
  }

  private static LatencyResult latency(ChildSpec spec, MemoryMonitor memory) throws Exception {
    Scenario scenario = Scenario.byLabel(spec.get("scenario"));
    Sink inner =
        scenario == Scenario.DATIS_PUBSUB
            ? DatisScenarios.pubSubSink(spec)
            : new CountingSink(new Progress(Long.MAX_VALUE));
    LatencySink sink = new LatencySink(inner);
    Pipeline pipeline = DatisScenarios.start(spec, sink);
    try {
      // Inserts begin once the slot is being read: the engine's start is not the latency measured.
      long streamingBy = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (pipeline.health().status() == Health.Status.STARTING) {
        if (System.nanoTime() > streamingBy) {
          throw new IllegalStateException("The pipeline did not start streaming within 120 s");
        }
        Thread.sleep(20);
      }
      System.out.println(READY_LINE);
      System.out.flush();
      BufferedReader parent =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line = parent.readLine();
      if (line == null || !line.startsWith(EXPECT_PREFIX)) {
        throw new IllegalStateException("Expected '" + EXPECT_PREFIX + "<count>', got " + line);
      }
      long expected = Long.parseLong(line.substring(EXPECT_PREFIX.length()).strip());
      long deadline = System.nanoTime() + Duration.ofSeconds(spec.getLong("timeout")).toNanos();
      while (sink.count() < expected) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "timed out with " + sink.count() + " of " + expected + " events acknowledged");
        }
        Thread.sleep(20);
      }
    } finally {
      pipeline.close();
    }
    int warmup = Integer.parseInt(spec.get("warmup"));
    long[] all = sink.sortedMicros(0);
    long[] sorted = sink.sortedMicros(warmup);
    double sum = 0;
    for (long value : sorted) {
      sum += value;
    }
    return new LatencyResult(
        scenario.label(),
        title(scenario, spec),
        sorted.length,
        warmup,
        percentile(sorted, 0.50),
        percentile(sorted, 0.99),
        percentile(sorted, 0.999),
        sorted[sorted.length - 1] / 1000.0,
        sum / sorted.length / 1000.0,
        percentile(all, 0.99),
        all[all.length - 1] / 1000.0,
        memory.peakHeapMb(),
        MemoryMonitor.peakRssMb());
  }

  /** The nearest-rank percentile, in milliseconds. */
  /** The title, naming the Pub/Sub server ({@code --pubsub}) that scenarios 4 and 5 publish to. */
  private static String title(Scenario scenario, ChildSpec spec) {
    return scenario.usesPubSub() ? scenario.title(spec.get("pubsubServer")) : scenario.title();
  }

  private static double percentile(long[] sortedMicros, double fraction) {
    int rank = (int) Math.ceil(fraction * sortedMicros.length);
    return sortedMicros[Math.max(0, rank - 1)] / 1000.0;
  }

  private static void awaitThenClose(
      AutoCloseable running, Progress progress, Scenario scenario, long timeout) throws Exception {
    try {
      progress.await(scenario.label(), timeout);
    } finally {
      running.close();
    }
  }

  private static void runInBackground(ThrowingRunnable task, Progress progress) {
    Thread thread =
        new Thread(
            () -> {
              try {
                task.run();
              } catch (Throwable e) {
                progress.fail(e);
              }
            },
            "bench-consumer");
    thread.setDaemon(true);
    thread.start();
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
  }
}
