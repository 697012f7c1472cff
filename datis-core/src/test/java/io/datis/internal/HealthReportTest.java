package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.ErrorPolicy;
import io.datis.Health;
import io.datis.api.SinkException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The health verdict from what the parts report, without PostgreSQL (the source monitor is not
 * started).
 */
class HealthReportTest {

  private final PipelineSettings settings =
      TestSettings.of(
          List.of(), ErrorPolicy.fail(), batch -> CompletableFuture.completedFuture(null));
  private final SinkStatus sink = new SinkStatus("test", "shop", "sink", () -> {});
  private final SinkStatus deadLetters =
      new SinkStatus("test", "shop", "dead-letter sink", () -> {});
  private final OffsetCommitter offsets =
      new OffsetCommitter("test", Executors.defaultThreadFactory(), Lease.unlimited());
  private final SourceMonitor source =
      new SourceMonitor(
          settings,
          new ReplicaIdentityCheck(settings, 170000),
          reader -> {},
          Executors.defaultThreadFactory());
  private @Nullable String snapshot;
  private final HealthReport report =
      new HealthReport(
          settings.slotLagThreshold(), offsets, source, List.of(sink, deadLetters), () -> snapshot);

  @AfterEach
  void stop() {
    offsets.commitAndStop();
    source.close();
  }

  @Test
  void upWithTheLastEventTimeAndTheSnapshotInProgress() {
    Instant lastEvent = Instant.parse("2026-12-04T10:00:00Z");
    snapshot = "snapshot while streaming: reading public.orders";

    Health health = report.of(null, false, lastEvent);

    assertThat(health.status()).isEqualTo(Health.Status.UP);
    assertThat(health.reasons()).isEmpty();
    assertThat(health.lastEventTime()).contains(lastEvent);
    assertThat(health.snapshot()).contains(snapshot);
    assertThat(health.lastCommittedLsn()).isEmpty();
  }

  @Test
  void degradedNamingEachSinkThatRetries() {
    sink.retrying("UNAVAILABLE: connection refused");
    deadLetters.retrying("DEADLINE_EXCEEDED");

    Health health = report.of(null, false, null);

    assertThat(health.status()).isEqualTo(Health.Status.DEGRADED);
    assertThat(health.reasons())
        .satisfiesExactly(
            reason ->
                assertThat(reason)
                    .startsWith("sink retrying for ")
                    .endsWith("UNAVAILABLE: connection refused"),
            reason ->
                assertThat(reason)
                    .startsWith("dead-letter sink retrying for ")
                    .endsWith("DEADLINE_EXCEEDED"));

    sink.recovered();
    deadLetters.recovered();
    assertThat(report.of(null, false, Instant.now()).status()).isEqualTo(Health.Status.UP);
  }

  @Test
  void startingUntilTheSlotIsReadOrAChangeCaptured() {
    Health starting = report.of(null, false, null);

    assertThat(starting.status()).isEqualTo(Health.Status.STARTING);
    assertThat(starting.reasons())
        .singleElement()
        .asString()
        .startsWith("waiting for capture to read replication slot '" + settings.slotName() + "'");
    assertThat(report.of(null, false, Instant.now()).status()).isEqualTo(Health.Status.UP);
  }

  @Test
  void downWhenFailedWithTheFailureAndWhenClosed() {
    sink.retrying("UNAVAILABLE");

    Health failed = report.of(new SinkException("topic orders does not exist", null), true, null);
    Health closed = report.of(null, true, null);

    assertThat(failed.status()).isEqualTo(Health.Status.DOWN);
    assertThat(failed.reasons()).containsExactly("failed: topic orders does not exist");
    assertThat(closed.status()).isEqualTo(Health.Status.DOWN);
    assertThat(closed.reasons()).containsExactly("closed");
  }
}
