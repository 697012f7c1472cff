package io.datis.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/** Prints the results as a table and writes them as CSV and JSON. */
final class Report {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Report() {}

  /** The medians over the runs of one scenario. */
  record Summary(
      String label,
      String scenario,
      int runs,
      double eventsPerSecondMedian,
      double eventsPerSecondMin,
      double eventsPerSecondMax,
      double firstEventMsMedian,
      double peakHeapMbMedian,
      double peakRssMbMedian,
      double cpuMicrosPerEventMedian,
      double serverCpuMicrosPerEventMedian,
      String note) {}

  static String describe(Measurement m) {
    if (!m.measured()) {
      return "[" + m.label() + "] " + m.note();
    }
    return String.format(
        Locale.ROOT,
        "[%s] %,d events in %.2f s: %,.0f events/s, first event after %,.0f ms, peak heap %s MB,"
            + " peak RSS %s MB, CPU %s µs/event, server CPU %s µs/event%s",
        m.label(),
        m.events(),
        m.drainSeconds(),
        m.eventsPerSecond(),
        m.firstEventMs(),
        mb(m.peakHeapMb()),
        mb(m.peakRssMb()),
        micros(m.cpuMicrosPerEvent()),
        micros(m.serverCpuMicrosPerEvent()),
        m.note().isEmpty() ? "" : " (" + m.note() + ")");
  }

  static String describe(LatencyResult r) {
    return String.format(
        Locale.ROOT,
        "[%s] %,d events after %d s of warm-up: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms;"
            + " with warm-up p99 %.1f ms, max %.1f ms",
        r.label(),
        r.events(),
        r.warmupSeconds(),
        r.p50Ms(),
        r.p99Ms(),
        r.p999Ms(),
        r.maxMs(),
        r.p99AllMs(),
        r.maxAllMs());
  }

  static List<Summary> summarize(List<Measurement> measurements) {
    Map<String, List<Measurement>> byLabel = new LinkedHashMap<>();
    for (Measurement m : measurements) {
      byLabel.computeIfAbsent(m.label(), label -> new ArrayList<>()).add(m);
    }
    List<Summary> summaries = new ArrayList<>();
    for (List<Measurement> runs : byLabel.values()) {
      Measurement first = runs.get(0);
      List<Measurement> measured = runs.stream().filter(Measurement::measured).toList();
      if (measured.isEmpty()) {
        summaries.add(
            new Summary(
                first.label(), first.scenario(), 0, -1, -1, -1, -1, -1, -1, -1, -1, first.note()));
        continue;
      }
      double[] rates =
          measured.stream().mapToDouble(Measurement::eventsPerSecond).sorted().toArray();
      summaries.add(
          new Summary(
              first.label(),
              first.scenario(),
              measured.size(),
              median(measured, Measurement::eventsPerSecond),
              rates[0],
              rates[rates.length - 1],
              median(measured, Measurement::firstEventMs),
              median(measured, Measurement::peakHeapMb),
              median(measured, Measurement::peakRssMb),
              median(measured, Measurement::cpuMicrosPerEvent),
              median(measured, Measurement::serverCpuMicrosPerEvent),
              measured.size() < runs.size()
                  ? (runs.size() - measured.size()) + " run(s) failed"
                  : first.note()));
    }
    return summaries;
  }

  static Map<String, Double> ratios(List<Summary> summaries) {
    Map<String, Double> ratios = new LinkedHashMap<>();
    ratio(ratios, summaries, "3", "2");
    ratio(ratios, summaries, "3", "1a");
    ratio(ratios, summaries, "3", "1b");
    ratio(ratios, summaries, "3t", "3");
    ratio(ratios, summaries, "4", "5");
    ratio(ratios, summaries, "4", "3");
    ratio(ratios, summaries, "6", "6c");
    ratio(ratios, summaries, "6p", "6c");
    return ratios;
  }

  private static void ratio(
      Map<String, Double> ratios, List<Summary> summaries, String top, String bottom) {
    Double a = rate(summaries, top);
    Double b = rate(summaries, bottom);
    if (a != null && b != null) {
      ratios.put(top + "/" + bottom, a / b);
    }
  }

  private static @Nullable Double rate(List<Summary> summaries, String label) {
    for (Summary summary : summaries) {
      if (summary.label().equals(label) && summary.eventsPerSecondMedian() > 0) {
        return summary.eventsPerSecondMedian();
      }
    }
    return null;
  }

  static String drainTable(List<Summary> summaries, Map<String, Double> ratios) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| # | Scenario | events/s (median) | min-max | first event (ms) | peak heap (MB) | peak"
            + " RSS (MB) | CPU µs/event | server CPU µs/event |\n");
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (Summary s : summaries) {
      if (s.runs() == 0) {
        out.append(
            String.format(
                Locale.ROOT, "| %s | %s | %s | | | | | | |%n", s.label(), s.scenario(), s.note()));
        continue;
      }
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %,.0f | %,.0f-%,.0f | %,.0f | %s | %s | %s | %s |%n",
              s.label(),
              s.scenario(),
              s.eventsPerSecondMedian(),
              s.eventsPerSecondMin(),
              s.eventsPerSecondMax(),
              s.firstEventMsMedian(),
              mb(s.peakHeapMbMedian()),
              mb(s.peakRssMbMedian()),
              micros(s.cpuMicrosPerEventMedian()),
              micros(s.serverCpuMicrosPerEventMedian())));
    }
    if (!ratios.isEmpty()) {
      out.append("\nRatios of median events/s:");
      ratios.forEach(
          (name, value) -> out.append(String.format(Locale.ROOT, "  %s = %.2f", name, value)));
      out.append('\n');
    }
    return out.toString();
  }

  static String latencyTable(List<LatencyResult> results) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| # | Scenario | events after warm-up | p50 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | mean (ms) |"
            + " p99 incl. warm-up (ms) | max incl. warm-up (ms) | peak heap (MB) | peak RSS (MB) |\n");
    out.append(
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (LatencyResult r : results) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %,d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %s | %s |%n",
              r.label(),
              r.scenario(),
              r.events(),
              r.p50Ms(),
              r.p99Ms(),
              r.p999Ms(),
              r.maxMs(),
              r.meanMs(),
              r.p99AllMs(),
              r.maxAllMs(),
              mb(r.peakHeapMb()),
              mb(r.peakRssMb())));
    }
    return out.toString();
  }

  static void writeDrain(
      Path directory,
      BenchOptions options,
      List<Measurement> measurements,
      List<Summary> summaries,
      Map<String, Double> ratios)
      throws IOException {
    Files.createDirectories(directory);
    StringBuilder runs =
        new StringBuilder(
            "label,scenario,run,events,first_event_ms,drain_seconds,events_per_second,peak_heap_mb,peak_rss_mb,"
                + "cpu_micros_per_event,server_cpu_micros_per_event,note\n");
    for (Measurement m : measurements) {
      runs.append(
          csv(
              m.label(),
              m.scenario(),
              m.run(),
              m.events(),
              m.firstEventMs(),
              m.drainSeconds(),
              m.eventsPerSecond(),
              m.peakHeapMb(),
              m.peakRssMb(),
              m.cpuMicrosPerEvent(),
              m.serverCpuMicrosPerEvent(),
              m.note()));
    }
    Files.writeString(directory.resolve("drain-runs.csv"), runs);
    StringBuilder summary =
        new StringBuilder(
            "label,scenario,runs,events_per_second_median,events_per_second_min,events_per_second_max,first_event_ms_median,peak_heap_mb_median,peak_rss_mb_median,"
                + "cpu_micros_per_event_median,server_cpu_micros_per_event_median,note\n");
    for (Summary s : summaries) {
      summary.append(
          csv(
              s.label(),
              s.scenario(),
              s.runs(),
              s.eventsPerSecondMedian(),
              s.eventsPerSecondMin(),
              s.eventsPerSecondMax(),
              s.firstEventMsMedian(),
              s.peakHeapMbMedian(),
              s.peakRssMbMedian(),
              s.cpuMicrosPerEventMedian(),
              s.serverCpuMicrosPerEventMedian(),
              s.note()));
    }
    Files.writeString(directory.resolve("drain-summary.csv"), summary);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("machine", machine());
    json.put("options", optionsMap(options));
    json.put("summary", summaries);
    json.put("ratios", ratios);
    json.put("runs", measurements);
    JSON.writeValue(directory.resolve("drain.json").toFile(), json);
  }

  static void writeLatency(Path directory, BenchOptions options, List<LatencyResult> results)
      throws IOException {
    Files.createDirectories(directory);
    StringBuilder csv =
        new StringBuilder(
            "label,scenario,events,warmup_s,p50_ms,p99_ms,p999_ms,max_ms,mean_ms,p99_all_ms,max_all_ms,"
                + "peak_heap_mb,peak_rss_mb\n");
    for (LatencyResult r : results) {
      csv.append(
          csv(
              r.label(),
              r.scenario(),
              r.events(),
              r.warmupSeconds(),
              r.p50Ms(),
              r.p99Ms(),
              r.p999Ms(),
              r.maxMs(),
              r.meanMs(),
              r.p99AllMs(),
              r.maxAllMs(),
              r.peakHeapMb(),
              r.peakRssMb()));
    }
    Files.writeString(directory.resolve("latency.csv"), csv);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("machine", machine());
    json.put("options", optionsMap(options));
    json.put("results", results);
    JSON.writeValue(directory.resolve("latency.json").toFile(), json);
  }

  static Map<String, Object> machine() {
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("date", ZonedDateTime.now().toString());
    machine.put("cpus", Runtime.getRuntime().availableProcessors());
    machine.put("cpuModel", cpuModel());
    machine.put("memoryMb", totalMemoryMb());
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    machine.put(
        "java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    return machine;
  }

  private static Map<String, Object> optionsMap(BenchOptions options) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("mode", options.mode);
    map.put("rows", options.rows);
    map.put("rowBytes", options.rowBytes);
    map.put("txSize", options.txSize);
    map.put("runs", options.runs);
    map.put("scenarios", String.join(",", options.scenarios));
    map.put("rate", options.rate);
    map.put("durationSeconds", options.durationSeconds);
    map.put("latencyTxRows", options.latencyTxRows);
    map.put("xmx", options.xmx);
    map.put("orderingBuckets", options.orderingBuckets);
    map.put("pollIntervalMs", options.pollIntervalMs);
    map.put("warmupSeconds", options.warmupSeconds);
    map.put("pubsub", options.pubsub);
    return map;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  private static long totalMemoryMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  private static double median(List<Measurement> runs, ToDoubleFunction<Measurement> figure) {
    double[] values = runs.stream().mapToDouble(figure).sorted().toArray();
    int middle = values.length / 2;
    return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
  }

  private static String mb(double value) {
    return value < 0 ? "n/a" : String.format(Locale.ROOT, "%,.0f", value);
  }

  private static String micros(double value) {
    return value < 0 ? "-" : String.format(Locale.ROOT, "%,.1f", value);
  }

  private static String csv(Object... values) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        line.append(',');
      }
      Object value = values[i];
      String text =
          value instanceof Double
              ? String.format(Locale.ROOT, "%.3f", (Double) value)
              : String.valueOf(value);
      if (text.contains(",") || text.contains("\"")) {
        text = '"' + text.replace("\"", "\"\"") + '"';
      }
      line.append(text);
    }
    return line.append('\n').toString();
  }
}
