package io.datis.pubsub.faults;

import io.datis.Datis;
import io.datis.Health;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.DatisException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.api.sink.SinkContext;
import io.datis.postgres.PostgresSource;
import io.datis.pubsub.PubSubSink;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The capturing process of the fault matrix, run in a JVM of its own by {@link ChildJvm}: one
 * pipeline from PostgreSQL to a {@link PubSubSink} whose server (a {@code LocalPubSub}) runs in the
 * test's JVM, with offsets in PostgreSQL ({@link OffsetStore#postgres()}), so that a killed process
 * leaves nothing behind but the database and the slot.
 *
 * <p>Arguments are {@code key=value}: {@code pg.host}, {@code pg.port}, {@code pg.database}, {@code
 * pg.user}, {@code pg.password}, {@code pubsub} (host:port), {@code project}, {@code topic}, {@code
 * name} (the pipeline), {@code table} (or several, separated by commas), and optionally {@code
 * maxInFlight}, {@code maxBatch}, {@code expect} (stop once that many events were acknowledged, and
 * report) and {@code snapshot} (tables to read again while streaming, asked for once started).
 *
 * <p>It talks to the test on stdout with lines starting {@code @@}: {@code @@ STARTED ...
 * role=...}, {@code @@ DONE ...} (with {@code expect}), {@code @@ FAILED ...}, and for the replica
 * tests {@code @@ ROLE ACTIVE|STANDBY at=<epoch ms>}, {@code @@ DELIVERING at=...} (the first batch
 * handed to the sink since the instance became active), {@code @@ DELIVERED_AS_STANDBY} (a batch
 * handed over while not active, which must never happen) and {@code @@ PERIOD first=<epoch ms>
 * last=<epoch ms>} (when the active period that just ended first handed a batch to the sink and
 * last saw one completed; printed before {@code ROLE STANDBY} and before {@code STOPPED}, or
 * {@code @@ PERIOD none} when nothing was delivered). It stops cleanly when its stdin says {@code
 * stop} or closes (so it does not outlive a test JVM that dies). Exit codes: 0 stopped or done, 2
 * the pipeline failed, 3 out of memory ({@code -XX:+ExitOnOutOfMemoryError}).
 */
final class CaptureProcess {

  /** Prefix of the lines meant for the test. */
  static final String PROTOCOL = "@@ ";

  private CaptureProcess() {}

  /** The {@code key=value} arguments of a fault-matrix child process. */
  static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      int equals = arg.indexOf('=');
      options.put(arg.substring(0, equals), arg.substring(equals + 1));
    }
    return options;
  }

  /** The PostgreSQL source the {@code pg.*} arguments name. */
  static PostgresSource source(Map<String, String> options) {
    return PostgresSource.builder()
        .host(options.get("pg.host"))
        .port(Integer.parseInt(options.get("pg.port")))
        .database(options.get("pg.database"))
        .user(options.get("pg.user"))
        .password(options.get("pg.password"))
        .build();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    HeapWatch heap = HeapWatch.start();
    PostgresSource source = source(options);
    CountingSink sink =
        new CountingSink(
            PubSubSink.builder(options.get("project"), options.get("topic"))
                .emulator(options.get("pubsub"))
                .build());
    long expect = Long.parseLong(options.getOrDefault("expect", "-1"));
    long startNanos = System.nanoTime();
    Pipeline pipeline =
        Datis.capture(source)
            .name(options.get("name"))
            .tables(options.get("table").split(","))
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.postgres())
            .maxInFlightEvents(Integer.parseInt(options.getOrDefault("maxInFlight", "20000")))
            .maxBatchSize(Integer.parseInt(options.getOrDefault("maxBatch", "2048")))
            .to(sink)
            .onRoleChange(
                role -> {
                  if (role == Health.Role.STANDBY) {
                    say(sink.endPeriod());
                  }
                  sink.active = role == Health.Role.ACTIVE;
                  sink.reportFirstDelivery = true;
                  say("ROLE " + role + " at=" + System.currentTimeMillis());
                })
            .start();
    if (pipeline.health().role() == Health.Role.ACTIVE) {
      sink.active = true;
    }
    String snapshot = options.get("snapshot");
    if (snapshot != null) {
      pipeline.snapshot(snapshot.split(","));
    }
    say(
        "STARTED pid="
            + ProcessHandle.current().pid()
            + " role="
            + pipeline.health().role()
            + " in "
            + Duration.ofNanos(System.nanoTime() - startNanos).toMillis()
            + " ms");

    AtomicBoolean stopping = new AtomicBoolean();
    Thread stdin =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && !line.strip().equals("stop")) {
                  // only "stop" means something
                }
              } catch (Exception e) {
                // treated as end of input
              }
              stopping.set(true);
              pipeline.close();
              say(sink.endPeriod());
              say("STOPPED delivered=" + sink.delivered.get());
              System.exit(0);
            },
            "capture-process-stdin");
    stdin.setDaemon(true);
    stdin.start();

    long lastReport = System.nanoTime();
    while (true) {
      if (stoppedWithin(pipeline, Duration.ofMillis(100)) && !stopping.get()) {
        say(
            "FAILED "
                + pipeline.failure().map(Throwable::toString).orElse("stopped without a failure"));
        System.exit(2);
      }
      long delivered = sink.delivered.get();
      if (System.nanoTime() - lastReport > 5_000_000_000L) {
        lastReport = System.nanoTime();
        System.err.println(
            "capture-process: delivered="
                + delivered
                + " inFlight="
                + sink.inFlight.get()
                + " "
                + heap.report()
                + " health="
                + pipeline.health());
      }
      if (expect >= 0 && delivered >= expect) {
        long millis = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        say(
            "DONE delivered="
                + delivered
                + " millis="
                + millis
                + " peakInFlight="
                + sink.peakInFlight.get()
                + " "
                + heap.report());
        pipeline.close();
        System.exit(0);
      }
    }
  }

  /** Whether the pipeline stopped (closed or failed) within the wait. */
  private static boolean stoppedWithin(Pipeline pipeline, Duration wait)
      throws InterruptedException {
    try {
      return pipeline.awaitTermination(wait);
    } catch (DatisException failed) {
      return true;
    }
  }

  private static synchronized void say(String line) {
    System.out.println(PROTOCOL + line);
    System.out.flush();
  }

  /**
   * Counts the events the Pub/Sub sink acknowledged, and those handed to it and not yet
   * acknowledged.
   */
  private static final class CountingSink implements Sink {
    private final Sink delegate;
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong inFlight = new AtomicLong();
    final AtomicLong peakInFlight = new AtomicLong();

    /** Whether the pipeline is the active instance, as its role listener last said. */
    volatile boolean active;

    /** Whether the next delivery is the first since the instance became active. */
    volatile boolean reportFirstDelivery = true;

    /** When the current active period first handed a batch to the sink (epoch ms). */
    private final AtomicLong periodFirst = new AtomicLong(Long.MAX_VALUE);

    /** When the current active period last handed a batch over or saw one complete. */
    private final AtomicLong periodLast = new AtomicLong(Long.MIN_VALUE);

    CountingSink(Sink delegate) {
      this.delegate = delegate;
    }

    @Override
    public void open(SinkContext context) throws Exception {
      delegate.open(context);
    }

    /** The {@code PERIOD} line of the active period that ended; a next one starts empty. */
    String endPeriod() {
      long first = periodFirst.getAndSet(Long.MAX_VALUE);
      long last = periodLast.getAndSet(Long.MIN_VALUE);
      return first == Long.MAX_VALUE ? "PERIOD none" : "PERIOD first=" + first + " last=" + last;
    }

    private void touch() {
      long now = System.currentTimeMillis();
      periodFirst.accumulateAndGet(now, Math::min);
      periodLast.accumulateAndGet(now, Math::max);
    }

    @Override
    public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
      touch();
      if (!active) {
        say("DELIVERED_AS_STANDBY at=" + System.currentTimeMillis());
      }
      if (reportFirstDelivery) {
        reportFirstDelivery = false;
        say("DELIVERING at=" + System.currentTimeMillis());
      }
      peakInFlight.accumulateAndGet(inFlight.addAndGet(batch.size()), Math::max);
      return delegate
          .deliver(batch)
          .whenComplete(
              (ignored, error) -> {
                touch();
                inFlight.addAndGet(-batch.size());
                if (error == null) {
                  delivered.addAndGet(batch.size());
                }
              });
    }

    @Override
    public void close() throws Exception {
      delegate.close();
    }
  }

  /**
   * Samples the heap every 50 ms: the highest use, and the highest use right after a collection.
   */
  private static final class HeapWatch {
    private final AtomicLong peakUsed = new AtomicLong();
    private final AtomicLong peakAfterGc = new AtomicLong();

    static HeapWatch start() {
      HeapWatch watch = new HeapWatch();
      Thread sampler =
          new Thread(
              () -> {
                while (true) {
                  watch.sample();
                  Workload.sleep(50);
                }
              },
              "capture-process-heap");
      sampler.setDaemon(true);
      sampler.start();
      return watch;
    }

    private void sample() {
      peakUsed.accumulateAndGet(
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
      long afterGc = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        MemoryUsage usage = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
        if (usage != null) {
          afterGc += usage.getUsed();
        }
      }
      peakAfterGc.accumulateAndGet(afterGc, Math::max);
    }

    String report() {
      long gcMillis = 0;
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        gcMillis += Math.max(0, gc.getCollectionTime());
      }
      return "peakHeapMB="
          + peakUsed.get() / (1 << 20)
          + " peakHeapAfterGcMB="
          + peakAfterGc.get() / (1 << 20)
          + " maxHeapMB="
          + Runtime.getRuntime().maxMemory() / (1 << 20)
          + " gcMillis="
          + gcMillis;
    }
  }
}
