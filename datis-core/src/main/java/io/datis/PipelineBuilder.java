package io.datis;

import io.datis.api.ConfigurationException;
import io.datis.api.event.TableId;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.internal.BatchTracing;
import io.datis.internal.ExpertDebeziumProperties;
import io.datis.internal.OpenTelemetryTracing;
import io.datis.internal.PipelineSettings;
import io.datis.internal.ReplicaPipeline;
import io.datis.internal.Retirement;
import io.datis.postgres.PostgresSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Describes a pipeline: what to capture, how to transform it, where to deliver it. Obtained from
 * {@link Datis#capture}. Setters check their own argument at once; {@link #start()} checks the
 * whole and reports every problem in one {@link ConfigurationException}. Settings may be given in
 * any order. A builder can start several pipelines (for example one after another with the same
 * offsets).
 */
public final class PipelineBuilder {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,49}");
  private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

  private final PostgresSource source;
  private String name = "datis";
  private @Nullable String slotName;
  private @Nullable String publicationName;
  private final Set<TableId> tables = new LinkedHashSet<>();
  private final List<Transform> transforms = new ArrayList<>();
  private @Nullable Sink sink;
  private @Nullable OffsetStore offsets;
  private SnapshotMode snapshotMode = SnapshotMode.INITIAL;
  private int maxBatchSize = 2048;
  private int maxInFlightEvents = 20_000;
  private long maxInFlightBytes = defaultMaxInFlightBytes();
  private Duration closeTimeout = Duration.ofSeconds(30);
  private final Map<String, String> debeziumProperties = new LinkedHashMap<>();
  private @Nullable MeterRegistry meterRegistry;
  private ErrorPolicy errorPolicy = ErrorPolicy.fail();
  private long slotLagThreshold = 1L << 30;
  private boolean resnapshotIfSlotLost;
  private boolean standby = true;
  private Consumer<Health.Role> roleListener = role -> {};

  /** An {@code OpenTelemetry}, held as an object: OpenTelemetry is an optional dependency. */
  private @Nullable Object openTelemetry;

  PipelineBuilder(PostgresSource source) {
    this.source = source;
  }

  /**
   * Names the pipeline (default {@code datis}): 1 to 50 letters, digits, {@code _}, {@code .} or
   * {@code -}. The name appears in logs and thread names and derives the names of what the pipeline
   * keeps in PostgreSQL and beside it: its replication slot and publication ({@code datis_<name>},
   * unless {@link #slotName} or {@link #publicationName} say otherwise), its signal table and its
   * default offsets file.
   */
  public PipelineBuilder name(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "Invalid pipeline name '"
              + name
              + "': use 1 to 50 letters, digits, '_', '.' or '-', starting with a letter or digit");
    }
    this.name = name;
    return this;
  }

  /**
   * The replication slot to read from, instead of {@code datis_<name>}: 1 to 63 lower-case letters,
   * digits and underscores. Created at start when missing. Two pipelines must not share a slot.
   */
  public PipelineBuilder slotName(String slotName) {
    Objects.requireNonNull(slotName, "slotName");
    if (!SLOT_NAME.matcher(slotName).matches()) {
      throw new IllegalArgumentException(
          "Invalid replication slot name '"
              + slotName
              + "': use 1 to 63 lower-case letters, digits and underscores, e.g. 'orders_cdc'");
    }
    this.slotName = slotName;
    return this;
  }

  /**
   * The publication to use, instead of {@code datis_<name>}: created at start when missing, and set
   * to publish exactly the captured {@link #tables}. At most 63 characters.
   */
  public PipelineBuilder publicationName(String publicationName) {
    Objects.requireNonNull(publicationName, "publicationName");
    if (publicationName.isBlank() || publicationName.length() > 63) {
      throw new IllegalArgumentException(
          "Invalid publication name '"
              + publicationName
              + "': use 1 to 63 characters, e.g. 'orders_cdc'");
    }
    this.publicationName = publicationName;
    return this;
  }

  /**
   * Adds tables to capture, each schema-qualified ({@code "public.orders"}). Repeated calls add to
   * the list. Changes to other tables are not captured.
   */
  public PipelineBuilder tables(String... tables) {
    Objects.requireNonNull(tables, "tables");
    for (String table : tables) {
      this.tables.add(TableId.parse(Objects.requireNonNull(table, "table")));
    }
    return this;
  }

  /**
   * Adds a transform. Transforms run in the order added, each on the result of the previous one; a
   * dropped event skips the rest of the chain and the sink.
   */
  public PipelineBuilder transform(Transform transform) {
    transforms.add(Objects.requireNonNull(transform, "transform"));
    return this;
  }

  /**
   * The sink that receives the events. Required. The pipeline opens it at start and closes it at
   * stop.
   */
  public PipelineBuilder to(Sink sink) {
    this.sink = Objects.requireNonNull(sink, "sink");
    return this;
  }

  /**
   * Where offsets live. Default: the file {@code datis-offsets/<name>.offsets} in the working
   * directory.
   */
  public PipelineBuilder offsets(OffsetStore offsets) {
    this.offsets = Objects.requireNonNull(offsets, "offsets");
    return this;
  }

  /** Whether a new pipeline reads existing rows first. Default {@link SnapshotMode#INITIAL}. */
  public PipelineBuilder snapshot(SnapshotMode mode) {
    this.snapshotMode = Objects.requireNonNull(mode, "mode");
    return this;
  }

  /** The most events handed to the sink in one batch. Default 2048. */
  public PipelineBuilder maxBatchSize(int maxBatchSize) {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException(
          "maxBatchSize must be at least 1, but was " + maxBatchSize);
    }
    this.maxBatchSize = maxBatchSize;
    return this;
  }

  /**
   * The most events delivered to the sink but not yet acknowledged. When reached, capture pauses
   * until the sink catches up, which bounds memory. Default 20,000.
   */
  public PipelineBuilder maxInFlightEvents(int maxInFlightEvents) {
    if (maxInFlightEvents < 1) {
      throw new IllegalArgumentException(
          "maxInFlightEvents must be at least 1, but was " + maxInFlightEvents);
    }
    this.maxInFlightEvents = maxInFlightEvents;
    return this;
  }

  /**
   * The most (estimated) bytes of events delivered to the sink but not yet acknowledged; with
   * {@link #maxInFlightEvents}, whichever is reached first pauses capture. It keeps wide rows from
   * exhausting the heap. Default: an eighth of the maximum heap ({@code -Xmx}).
   */
  public PipelineBuilder maxInFlightBytes(long maxInFlightBytes) {
    if (maxInFlightBytes < 1024 * 1024) {
      throw new IllegalArgumentException(
          "maxInFlightBytes must be at least 1 MiB, but was " + maxInFlightBytes);
    }
    this.maxInFlightBytes = maxInFlightBytes;
    return this;
  }

  private static long defaultMaxInFlightBytes() {
    return Math.max(1024 * 1024, Runtime.getRuntime().maxMemory() / 8);
  }

  /**
   * How long {@link Pipeline#close()} waits for the sink to finish outstanding batches. Default 30
   * s.
   */
  public PipelineBuilder closeTimeout(Duration closeTimeout) {
    Objects.requireNonNull(closeTimeout, "closeTimeout");
    if (closeTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "closeTimeout must not be negative, but was " + closeTimeout);
    }
    this.closeTimeout = closeTimeout;
    return this;
  }

  /**
   * What to do with an event that a transform fails on or that the sink reports undeliverable:
   * {@link ErrorPolicy#fail()} (the default) stops the pipeline, {@link ErrorPolicy#skip()} logs,
   * counts and commits past it, {@link ErrorPolicy#deadLetter} sends it to a dead-letter sink.
   */
  public PipelineBuilder errorPolicy(ErrorPolicy policy) {
    this.errorPolicy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Starts over when the replication slot is lost, instead of failing: PostgreSQL invalidated it
   * ({@code wal_status = lost}, WAL it needed was removed), or it is missing while the pipeline has
   * stored offsets (it was dropped). Either way the changes since the pipeline last ran are gone,
   * so by default {@link #start()} fails saying so. With this option the pipeline drops the
   * invalidated slot, forgets its offsets, creates a new slot and reads every table again ({@link
   * SnapshotMode#INITIAL}, required), logging a warning. Consumers then see the snapshot's rows as
   * {@code SNAPSHOT_READ} events.
   */
  public PipelineBuilder resnapshotIfSlotLost() {
    this.resnapshotIfSlotLost = true;
    return this;
  }

  /**
   * Whether {@link #start()} waits as a standby when another instance of this pipeline (the same
   * slot in the same database, typically another replica of the service) is active. Default {@code
   * true}: {@code start()} returns promptly with a pipeline whose {@link Pipeline#health()} says
   * {@link Health.Status#STANDBY}, and it becomes active by itself when the active instance stops
   * or dies; an active instance that loses its lock stops delivering and becomes a standby again.
   * With {@code false}, {@code start()} fails while another instance is active, and losing the lock
   * fails the pipeline. See "Running several replicas" in the README.
   */
  public PipelineBuilder standby(boolean standby) {
    this.standby = standby;
    return this;
  }

  /**
   * Told each time this instance becomes {@link Health.Role#ACTIVE active} or a {@link
   * Health.Role#STANDBY standby}, on a thread of the pipeline's; not told of the role {@link
   * #start()} begins with when it is a standby. Keep it short: the role change waits for it.
   */
  public PipelineBuilder onRoleChange(Consumer<Health.Role> listener) {
    this.roleListener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * How much WAL the replication slot may hold back before {@link Pipeline#health()} turns DEGRADED
   * (with a reason such as {@code replication slot lag 2.1 GB}). The lag is read from {@code
   * pg_replication_slots} every 5 s and published as the {@code datis.replication.slot.lag} gauge.
   * Default 1 GiB.
   */
  public PipelineBuilder slotLagThreshold(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException(
          "slotLagThreshold must be at least 1 byte, but was " + bytes);
    }
    this.slotLagThreshold = bytes;
    return this;
  }

  /**
   * Publishes the pipeline's metrics to this Micrometer registry (events captured, delivered,
   * dropped and failed by table and operation, events skipped and dead-lettered, delivery lag,
   * batch size, events in flight, sink retries, replication slot lag in bytes, time since the last
   * commit), all tagged with the pipeline's name. Default: no metrics.
   */
  public PipelineBuilder metrics(MeterRegistry registry) {
    this.meterRegistry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Traces each batch handed to the sink with this OpenTelemetry (optional dependency {@code
   * io.opentelemetry:opentelemetry-api}): a {@code PRODUCER} span named {@code datis deliver
   * <pipeline>}, a new trace per batch, from the hand-over until the sink delivered the batch (or
   * failed), with the batch's first and last transaction ids and LSNs as attributes; the sink is
   * called with the span current. Each event handed to the sink carries the span's W3C trace
   * context ({@link io.datis.api.event.ChangeEvent#traceParent()}), which the Pub/Sub sink writes
   * into each message's {@code googclient_traceparent} attribute, so that a subscriber traced by
   * Pub/Sub's client library continues the trace. With the OpenTelemetry Java agent or a global
   * SDK, pass {@code GlobalOpenTelemetry.get()}. Default: no tracing.
   */
  public PipelineBuilder tracing(io.opentelemetry.api.OpenTelemetry openTelemetry) {
    this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
    return this;
  }

  /**
   * Sets one of the Debezium PostgreSQL connector properties that tune timing, fetching and retries
   * without changing what is delivered or committed, such as {@code snapshot.fetch.size} or {@code
   * status.update.interval.ms}. For experts; the README lists the allowed properties. Any other
   * property is refused, since it could drop, filter, reorder, re-key or re-encode events, or
   * commit offsets behind Datis's back; the error names the Datis setting to use instead, where
   * there is one.
   *
   * @throws IllegalArgumentException if the property is not one of the allowed ones
   */
  public PipelineBuilder debeziumProperty(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    String refusal = ExpertDebeziumProperties.refusal(key);
    if (refusal != null) {
      throw new IllegalArgumentException(refusal);
    }
    debeziumProperties.put(key, value);
    return this;
  }

  /**
   * Retires this pipeline for good: drops its replication slot (which otherwise keeps WAL on the
   * database's disk forever) and its publication, and deletes its stored offsets, naming them as
   * {@link #start()} would (from {@link #name}, {@link #slotName}, {@link #publicationName} and
   * {@link #offsets}). Needs no sink or tables. Idempotent: what is already gone is skipped.
   *
   * <pre>{@code
   * Datis.capture(source).name("orders").offsets(OffsetStore.postgres()).retire();
   * }</pre>
   *
   * <p>A publication named with {@link #publicationName} is dropped too, even if other readers use
   * it.
   *
   * @throws io.datis.api.SourceException if the slot is still in use (close the pipeline first) or
   *     the user lacks the privileges to drop them
   */
  public void retire() {
    Retirement.retire(source, name, slot(), publication(), effectiveOffsets());
  }

  private String slot() {
    return slotName != null ? slotName : PipelineSettings.derivedName(name);
  }

  private String publication() {
    return publicationName != null ? publicationName : PipelineSettings.derivedName(name);
  }

  private OffsetStore effectiveOffsets() {
    return offsets != null
        ? offsets
        : OffsetStore.file(Path.of("datis-offsets", name + ".offsets"));
  }

  /**
   * Checks the configuration and the database, then starts capturing. Returns once the replication
   * slot exists and the engine runs: every change committed after this returns is captured (with
   * {@link SnapshotMode#INITIAL}, possibly within the snapshot's rows).
   *
   * @throws ConfigurationException listing every configuration problem
   * @throws io.datis.api.SourceException if the database cannot be captured from (for example
   *     {@code wal_level} is not {@code logical}, a table does not exist, a privilege is missing or
   *     the slot is in use), saying how to fix it
   */
  public Pipeline start() {
    List<String> problems = new ArrayList<>();
    if (sink == null) {
      problems.add("no sink: call to(sink) with where the events should go");
    }
    if (tables.isEmpty()) {
      problems.add("no tables: call tables(\"schema.table\", ...) with the tables to capture");
    }
    if (maxInFlightEvents < maxBatchSize) {
      problems.add(
          "maxInFlightEvents ("
              + maxInFlightEvents
              + ") is smaller than maxBatchSize ("
              + maxBatchSize
              + "): raise maxInFlightEvents or lower maxBatchSize");
    }
    if (resnapshotIfSlotLost && snapshotMode != SnapshotMode.INITIAL) {
      problems.add(
          "resnapshotIfSlotLost() reads the tables again, which snapshot(SnapshotMode.CHANGES_ONLY) forbids:"
              + " use SnapshotMode.INITIAL, or drop resnapshotIfSlotLost()");
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException("Pipeline '" + name + "' cannot start", problems);
    }
    OffsetStore store = effectiveOffsets();
    PipelineSettings settings =
        new PipelineSettings(
            name,
            source,
            slot(),
            publication(),
            List.copyOf(tables),
            List.copyOf(transforms),
            Objects.requireNonNull(sink),
            store,
            snapshotMode,
            maxBatchSize,
            maxInFlightEvents,
            maxInFlightBytes,
            closeTimeout,
            Map.copyOf(debeziumProperties),
            meterRegistry,
            errorPolicy,
            slotLagThreshold,
            resnapshotIfSlotLost,
            standby,
            roleListener,
            tracing());
    return ReplicaPipeline.start(settings);
  }

  private BatchTracing tracing() {
    Object traced = openTelemetry;
    return traced == null
        ? BatchTracing.OFF
        : OpenTelemetryTracing.of((io.opentelemetry.api.OpenTelemetry) traced, name);
  }
}
