package io.datis.internal;

import io.datis.Health;
import io.datis.api.event.Position;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Puts together a pipeline's {@link Health} from what its parts know: DOWN once failed or closed,
 * or when a captured table lost its replica identity; DEGRADED while the sink or dead-letter sink
 * retries, the slot is in trouble or its lag is over the threshold; otherwise STARTING until the
 * slot has been read or a change captured, then UP.
 */
final class HealthReport {

  private final long slotLagThreshold;
  private final OffsetCommitter offsets;
  private final SourceMonitor source;
  private final List<SinkStatus> sinks;
  private final Supplier<@Nullable String> snapshotProgress;

  HealthReport(
      long slotLagThreshold,
      OffsetCommitter offsets,
      SourceMonitor source,
      List<SinkStatus> sinks,
      Supplier<@Nullable String> snapshotProgress) {
    this.slotLagThreshold = slotLagThreshold;
    this.offsets = offsets;
    this.source = source;
    this.sinks = List.copyOf(sinks);
    this.snapshotProgress = snapshotProgress;
  }

  /**
   * @param failure what stopped the pipeline, if something did
   * @param closed whether the pipeline is closing or closed
   * @param lastEventTime when the newest change was captured
   */
  HealthSnapshot of(@Nullable Throwable failure, boolean closed, @Nullable Instant lastEventTime) {
    Long committed = offsets.lastCommittedLsn();
    String committedText = committed == null ? null : Position.formatLsn(committed);
    Long lag = source.lagBytes();
    if (failure != null) {
      return HealthSnapshot.active(
          Health.Status.DOWN,
          List.of("failed: " + failure.getMessage()),
          lastEventTime,
          committedText,
          lag,
          null);
    }
    if (closed) {
      return HealthSnapshot.active(
          Health.Status.DOWN, List.of("closed"), lastEventTime, committedText, lag, null);
    }
    String unidentified = source.replicaIdentityProblem();
    if (unidentified != null) {
      // Still capturing, but the application's own updates and deletes of those tables fail.
      return HealthSnapshot.active(
          Health.Status.DOWN, List.of(unidentified), lastEventTime, committedText, lag, null);
    }
    List<String> reasons = new ArrayList<>(3);
    for (SinkStatus status : sinks) {
      String trouble = status.healthReason();
      if (trouble != null) {
        reasons.add(trouble);
      }
    }
    String slotTrouble = source.trouble();
    Instant slotTroubleSince = source.troubleSince();
    if (slotTrouble != null && slotTroubleSince != null) {
      reasons.add(
          slotTrouble
              + " (for "
              + Duration.between(slotTroubleSince, Instant.now()).toSeconds()
              + " s)");
    } else if (lag != null && lag > slotLagThreshold) {
      reasons.add(
          "replication slot lag "
              + SourceMonitor.pretty(lag)
              + " (over the threshold of "
              + SourceMonitor.pretty(slotLagThreshold)
              + ")");
    }
    Health.Status status;
    if (!reasons.isEmpty()) {
      status = Health.Status.DEGRADED;
    } else if (lastEventTime == null && !source.slotReadSinceStart()) {
      status = Health.Status.STARTING;
      reasons.add(
          "waiting for capture to read replication slot '"
              + source.slotName()
              + "' (started "
              + Duration.between(source.startedAt(), Instant.now()).toSeconds()
              + " s ago)");
    } else {
      status = Health.Status.UP;
    }
    return HealthSnapshot.active(
        status, reasons, lastEventTime, committedText, lag, snapshotProgress.get());
  }
}
