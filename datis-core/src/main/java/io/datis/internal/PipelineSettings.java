package io.datis.internal;

import io.datis.ErrorPolicy;
import io.datis.Health;
import io.datis.OffsetStore;
import io.datis.SnapshotMode;
import io.datis.api.event.TableId;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.postgres.PostgresSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The validated, immutable configuration of one pipeline.
 *
 * @param slotName the replication slot: the one given to the builder, or {@link #derivedName}
 * @param publicationName the publication: the one given to the builder, or {@link #derivedName}
 * @param standby whether {@code start()} waits as a standby when another instance is active, and a
 *     fenced instance becomes a standby again (otherwise both fail)
 * @param roleListener told of each role change, on a pipeline thread
 * @param tracing traces each batch handed to the sink, or {@link BatchTracing#OFF}
 */
public record PipelineSettings(
    String name,
    PostgresSource source,
    String slotName,
    String publicationName,
    List<TableId> tables,
    List<Transform> transforms,
    Sink sink,
    OffsetStore offsets,
    SnapshotMode snapshotMode,
    int maxBatchSize,
    int maxInFlightEvents,
    long maxInFlightBytes,
    Duration closeTimeout,
    Map<String, String> debeziumProperties,
    @Nullable MeterRegistry meterRegistry,
    ErrorPolicy errorPolicy,
    long slotLagThreshold,
    boolean resnapshotIfSlotLost,
    boolean standby,
    Consumer<Health.Role> roleListener,
    BatchTracing tracing) {

  /**
   * The slot and publication name a pipeline uses unless told otherwise: {@code datis_<name>} made
   * a valid slot name.
   */
  public static String derivedName(String pipeline) {
    return "datis_" + pipeline.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
  }
}
