package io.datis.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The command line of {@link Bench}. */
final class BenchOptions {

  static final String USAGE =
      String.join(
          "\n",
          "Usage: java -jar datis-bench/target/datis-bench.jar [options]",
          "  --mode drain|latency   drain: pre-loaded rows, events/s (default); latency: steady"
              + " inserts",
          "  --rows N               drain: rows pre-loaded (default 200000)",
          "  --row-bytes N          payload bytes per row (default 100)",
          "  --tx-size N            drain: rows per loading transaction (default 1000)",
          "  --runs N               drain: runs per scenario, median reported (default 3)",
          "  --scenarios 1,...,6    which scenarios (default 1-5; 6 is the initial snapshot; latency"
              + " mode runs 3 and 4)",
          "  --skip 3t,6p           scenario labels to leave out of the chosen groups",
          "  --snapshot-threads N   scenario 6: Debezium's snapshot.max.threads, reading the table in"
              + " N chunks at once (default 1)",
          "  --rate N               latency: rows inserted per second (default 5000)",
          "  --duration S           latency: seconds of inserts (default 40)",
          "  --latency-tx-rows N    latency: rows per inserted transaction (default 10)",
          "  --warmup S             latency: seconds of events left out of the percentiles (default 15)",
          "  --xmx SIZE             heap of each scenario JVM (default 2g)",
          "  --timeout S            most seconds one scenario may take (default 900)",
          "  --poll-interval-ms N   Datis scenarios: Debezium's poll.interval.ms, how long a batch"
              + " that is not full waits (default: Datis's 50 ms)",
          "  --ordering-buckets N   scenario 4: OrderingKeys.tableAndKeyBucket(N) instead of the sink's"
              + " default key (table + primary key)",
          "  --pubsub KIND          scenarios 4, 5 and latency publish to: local, the testkit's"
              + " LocalPubSub (default), or emulator, the official Pub/Sub emulator"
              + " (PUBSUB_EMULATOR_HOST, else the installed one)",
          "  --pubsub-key-limit on|off  local: enforce Pub/Sub's publish limit of 1 MB/s per"
              + " ordering key (default on)",
          "  --jfr                  record each scenario JVM with Java Flight Recorder"
              + " (target/bench-results)");

  String mode = "drain";
  int rows = 200_000;
  int rowBytes = 100;
  int txSize = 1_000;
  int runs = 3;
  Set<String> scenarios = new LinkedHashSet<>(List.of("1", "2", "3", "4", "5"));
  Set<String> skipped = new LinkedHashSet<>();
  int snapshotThreads = 1;
  int rate = 5_000;
  int durationSeconds = 40;
  int latencyTxRows = 10;
  String xmx = "2g";
  int timeoutSeconds = 900;
  boolean jfr;
  int orderingBuckets;
  int pollIntervalMs;
  int warmupSeconds = 15;
  String pubsub = "local";
  boolean pubsubKeyLimit = true;

  static BenchOptions parse(String[] args) {
    BenchOptions options = new BenchOptions();
    List<String> list = new ArrayList<>();
    for (String arg : args) {
      int equals = arg.indexOf('=');
      if (arg.startsWith("--") && equals > 0) {
        list.add(arg.substring(0, equals));
        list.add(arg.substring(equals + 1));
      } else {
        list.add(arg);
      }
    }
    for (int i = 0; i < list.size(); i++) {
      String flag = list.get(i);
      if (flag.equals("--jfr")) {
        options.jfr = true;
        continue;
      }
      if (flag.equals("--help") || flag.equals("-h")) {
        throw new IllegalArgumentException("");
      }
      if (i + 1 >= list.size()) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      String value = list.get(++i);
      switch (flag) {
        case "--mode":
          if (!value.equals("drain") && !value.equals("latency")) {
            throw new IllegalArgumentException(
                "--mode must be drain or latency, not '" + value + "'");
          }
          options.mode = value;
          break;
        case "--rows":
          options.rows = positive(flag, value);
          break;
        case "--row-bytes":
          options.rowBytes = positive(flag, value);
          break;
        case "--tx-size":
          options.txSize = positive(flag, value);
          break;
        case "--runs":
          options.runs = positive(flag, value);
          break;
        case "--scenarios":
          options.scenarios = scenarios(value);
          break;
        case "--rate":
          options.rate = positive(flag, value);
          break;
        case "--duration":
          options.durationSeconds = positive(flag, value);
          break;
        case "--latency-tx-rows":
          options.latencyTxRows = positive(flag, value);
          break;
        case "--xmx":
          if (!value.matches("[0-9]+[kKmMgG]?")) {
            throw new IllegalArgumentException(
                "--xmx takes a heap size such as 2g, not '" + value + "'");
          }
          options.xmx = value;
          break;
        case "--timeout":
          options.timeoutSeconds = positive(flag, value);
          break;
        case "--warmup":
          options.warmupSeconds = notNegative(flag, value);
          break;
        case "--skip":
          for (String label : value.split(",")) {
            options.skipped.add(Scenario.byLabel(label.strip()).label());
          }
          break;
        case "--snapshot-threads":
          options.snapshotThreads = positive(flag, value);
          break;
        case "--poll-interval-ms":
          options.pollIntervalMs = positive(flag, value);
          break;
        case "--ordering-buckets":
          options.orderingBuckets = positive(flag, value);
          break;
        case "--pubsub":
          if (!value.equals("local") && !value.equals("emulator")) {
            throw new IllegalArgumentException(
                "--pubsub must be local or emulator, not '" + value + "'");
          }
          options.pubsub = value;
          break;
        case "--pubsub-key-limit":
          if (!value.equals("on") && !value.equals("off")) {
            throw new IllegalArgumentException(
                "--pubsub-key-limit must be on or off, not '" + value + "'");
          }
          options.pubsubKeyLimit = value.equals("on");
          break;
        default:
          throw new IllegalArgumentException("Unknown option " + flag);
      }
    }
    return options;
  }

  private static Set<String> scenarios(String value) {
    Set<String> chosen = new LinkedHashSet<>();
    for (String part : value.split(",")) {
      String group = part.strip();
      if (!group.matches("[1-6]")) {
        throw new IllegalArgumentException(
            "--scenarios takes numbers from 1 to 6 separated by commas, not '" + value + "'");
      }
      chosen.add(group);
    }
    return chosen;
  }

  private static int notNegative(String flag, String value) {
    return value.strip().equals("0") ? 0 : positive(flag, value);
  }

  private static int positive(String flag, String value) {
    try {
      int parsed = Integer.parseInt(value.replace("_", ""));
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        flag + " takes a positive whole number, not '" + value + "'");
  }
}
