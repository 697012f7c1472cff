package io.datis.internal;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.TableId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The pipeline's Micrometer meters, all tagged {@code pipeline}; per-event counters also {@code
 * table} and {@code operation}. Without a registry every method does nothing.
 *
 * <ul>
 *   <li>{@code datis.events.captured}, {@code datis.events.delivered}, {@code datis.events.dropped}
 *       (by a transform), {@code datis.events.failed} (in a batch the sink failed): counters
 *   <li>{@code datis.delivery.lag}: timer, commit time to sink acknowledgement, of each batch's
 *       first (oldest) event
 *   <li>{@code datis.sink.latency}: timer, from handing a batch to the sink to its answer, tagged
 *       {@code outcome} ({@code delivered} or {@code failed}): for the Pub/Sub sink, the publish
 *       latency
 *   <li>{@code datis.batch.size}: distribution of events per sink batch
 *   <li>{@code datis.events.in.flight}: gauge of events handed to the sink and not yet acknowledged
 *   <li>{@code datis.sink.retries}: counter of retries the sink reported
 *   <li>{@code datis.commit.age}: gauge, seconds since offsets were last committed
 *   <li>{@code datis.snapshot.tables.remaining}: gauge of tables a snapshot while streaming has yet
 *       to read
 * </ul>
 */
final class PipelineMetrics {

  private static final PipelineMetrics NONE =
      new PipelineMetrics(null, "", () -> 0, () -> 0, () -> null, () -> null, () -> null);

  private final @Nullable MeterRegistry registry;
  private final String pipeline;
  private final Map<TableId, Map<Operation, Counter>> captured = new ConcurrentHashMap<>();
  private final Map<TableId, Map<Operation, Counter>> delivered = new ConcurrentHashMap<>();
  private final Map<TableId, Map<Operation, Counter>> dropped = new ConcurrentHashMap<>();
  private final Map<TableId, Map<Operation, Counter>> failed = new ConcurrentHashMap<>();
  private final Map<TableId, Map<Operation, Counter>> skipped = new ConcurrentHashMap<>();
  private final Map<TableId, Map<Operation, Counter>> deadLettered = new ConcurrentHashMap<>();
  private final @Nullable Timer lag;
  private final @Nullable Timer sinkDelivered;
  private final @Nullable Timer sinkFailed;
  private final @Nullable DistributionSummary batchSize;
  private final @Nullable Counter sinkRetries;

  /** The gauges, bound to this run's parts: removed when the run stops, see {@link #close()}. */
  private final List<Meter> gauges = new CopyOnWriteArrayList<>();

  private PipelineMetrics(
      @Nullable MeterRegistry registry,
      String pipeline,
      Supplier<Number> inFlight,
      Supplier<Number> inFlightBytes,
      Supplier<@Nullable Instant> lastCommit,
      Supplier<@Nullable Long> slotLag,
      Supplier<@Nullable Long> inFlightWal) {
    this.registry = registry;
    this.pipeline = pipeline;
    if (registry == null) {
      this.lag = null;
      this.sinkDelivered = null;
      this.sinkFailed = null;
      this.batchSize = null;
      this.sinkRetries = null;
      return;
    }
    this.lag =
        Timer.builder("datis.delivery.lag")
            .description("Commit time to sink acknowledgement, of each batch's oldest event")
            .tag("pipeline", pipeline)
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    this.sinkDelivered = sinkLatency(registry, pipeline, "delivered");
    this.sinkFailed = sinkLatency(registry, pipeline, "failed");
    this.batchSize =
        DistributionSummary.builder("datis.batch.size")
            .tag("pipeline", pipeline)
            .register(registry);
    this.sinkRetries =
        Counter.builder("datis.sink.retries").tag("pipeline", pipeline).register(registry);
    gauges.add(
        Gauge.builder("datis.events.in.flight", inFlight, supplier -> supplier.get().doubleValue())
            .description("Events handed to the sink and not yet acknowledged")
            .tag("pipeline", pipeline)
            .strongReference(true) // the supplier lives nowhere else
            .register(registry));
    gauges.add(
        Gauge.builder(
                "datis.events.in.flight.bytes",
                inFlightBytes,
                supplier -> supplier.get().doubleValue())
            .description("Estimated size of the events handed to the sink and not yet acknowledged")
            .baseUnit("bytes")
            .tag("pipeline", pipeline)
            .strongReference(true)
            .register(registry));
    gauges.add(
        Gauge.builder(
                "datis.commit.age",
                lastCommit,
                supplier -> {
                  Instant last = supplier.get();
                  return last == null
                      ? Double.NaN
                      : Duration.between(last, Instant.now()).toMillis() / 1000.0;
                })
            .description("Seconds since offsets were last committed")
            .baseUnit("seconds")
            .tag("pipeline", pipeline)
            .strongReference(true)
            .register(registry));
    gauges.add(
        Gauge.builder("datis.replication.slot.lag", slotLag, supplier -> nanIfNull(supplier.get()))
            .description("WAL the replication slot holds back, from pg_replication_slots")
            .baseUnit("bytes")
            .tag("pipeline", pipeline)
            .strongReference(true)
            .register(registry));
    gauges.add(
        Gauge.builder("datis.in.flight.wal", inFlightWal, supplier -> nanIfNull(supplier.get()))
            .description(
                "WAL from the last committed position to the newest change captured: the bytes in flight")
            .baseUnit("bytes")
            .tag("pipeline", pipeline)
            .strongReference(true)
            .register(registry));
  }

  private static Timer sinkLatency(MeterRegistry registry, String pipeline, String outcome) {
    return Timer.builder("datis.sink.latency")
        .description("From handing a batch to the sink to the sink's answer")
        .tag("pipeline", pipeline)
        .tag("outcome", outcome)
        .publishPercentiles(0.5, 0.99)
        .register(registry);
  }

  static PipelineMetrics of(
      @Nullable MeterRegistry registry,
      String pipeline,
      Supplier<Number> inFlight,
      Supplier<Number> inFlightBytes,
      Supplier<@Nullable Instant> lastCommit,
      Supplier<@Nullable Long> slotLag,
      Supplier<@Nullable Long> inFlightWal) {
    return registry == null
        ? NONE
        : new PipelineMetrics(
            registry, pipeline, inFlight, inFlightBytes, lastCommit, slotLag, inFlightWal);
  }

  /**
   * Removes this run's gauges from the registry, so that the next run of the pipeline (after a
   * standby takes over again) registers gauges bound to its own parts. Counters and timers stay:
   * they count across runs.
   */
  void close() {
    MeterRegistry open = registry;
    if (open != null) {
      gauges.forEach(open::remove);
      gauges.clear();
    }
  }

  private static double nanIfNull(@Nullable Long value) {
    return value == null ? Double.NaN : value;
  }

  /**
   * Registers the gauge {@code datis.snapshot.tables.remaining}: tables an incremental snapshot has
   * yet to read.
   */
  void snapshotProgress(Supplier<Number> remainingTables) {
    if (registry == null) {
      return;
    }
    gauges.add(
        Gauge.builder(
                "datis.snapshot.tables.remaining",
                remainingTables,
                supplier -> supplier.get().doubleValue())
            .description(
                "Tables that a snapshot while streaming (added tables, Pipeline.snapshot) has yet to read")
            .tag("pipeline", pipeline)
            .strongReference(true)
            .register(registry));
  }

  void captured(ChangeEvent event) {
    count(captured, "datis.events.captured", event);
  }

  void dropped(ChangeEvent event) {
    count(dropped, "datis.events.dropped", event);
  }

  void delivered(List<ChangeEvent> batch) {
    Timer lag = this.lag;
    DistributionSummary batchSize = this.batchSize;
    if (lag == null || batchSize == null || batch.isEmpty()) {
      return;
    }
    for (ChangeEvent event : batch) {
      count(delivered, "datis.events.delivered", event);
    }
    lag.record(Duration.between(batch.get(0).commitTime(), Instant.now()));
    batchSize.record(batch.size());
  }

  /**
   * The sink answered a batch handed to it at {@code handedAtNanos} ({@link System#nanoTime()}).
   */
  void sinkAnswered(long handedAtNanos, boolean delivered) {
    Timer timer = delivered ? sinkDelivered : sinkFailed;
    if (timer != null) {
      timer.record(System.nanoTime() - handedAtNanos, TimeUnit.NANOSECONDS);
    }
  }

  void failed(List<ChangeEvent> batch) {
    for (ChangeEvent event : batch) {
      count(failed, "datis.events.failed", event);
    }
  }

  /** An event that could not be processed was skipped under {@code ErrorPolicy.skip()}. */
  void skipped(ChangeEvent event) {
    count(skipped, "datis.events.skipped", event);
  }

  /** An event that could not be processed went to the dead-letter sink. */
  void deadLettered(ChangeEvent event) {
    count(deadLettered, "datis.events.dead.lettered", event);
  }

  void sinkRetried() {
    if (sinkRetries != null) {
      sinkRetries.increment();
    }
  }

  private void count(
      Map<TableId, Map<Operation, Counter>> counters, String name, ChangeEvent event) {
    if (registry == null) {
      return;
    }
    counters
        .computeIfAbsent(event.table(), table -> new ConcurrentHashMap<>())
        .computeIfAbsent(
            event.operation(),
            operation ->
                Counter.builder(name)
                    .tag("pipeline", pipeline)
                    .tag("table", event.table().toString())
                    .tag("operation", operation.name().toLowerCase(java.util.Locale.ROOT))
                    .register(registry))
        .increment();
  }
}
