package io.datis.internal;

import io.datis.Health;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/** One {@link Health} report, as {@link HealthReport} puts it together. */
record HealthSnapshot(
    Health.Status status,
    List<String> reasons,
    @Nullable Instant lastEvent,
    @Nullable String committedLsn,
    @Nullable Long lagBytes,
    @Nullable String snapshotProgress)
    implements Health {

  HealthSnapshot {
    Objects.requireNonNull(status, "status");
    reasons = List.copyOf(reasons);
  }

  @Override
  public Optional<Instant> lastEventTime() {
    return Optional.ofNullable(lastEvent);
  }

  @Override
  public Optional<String> lastCommittedLsn() {
    return Optional.ofNullable(committedLsn);
  }

  @Override
  public OptionalLong slotLagBytes() {
    return lagBytes == null ? OptionalLong.empty() : OptionalLong.of(lagBytes);
  }

  @Override
  public Optional<String> snapshot() {
    return Optional.ofNullable(snapshotProgress);
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(status.name());
    if (!reasons.isEmpty()) {
      text.append(" (").append(String.join("; ", reasons)).append(')');
    }
    if (lastEvent != null) {
      text.append(", last event ").append(lastEvent);
    }
    if (committedLsn != null) {
      text.append(", committed up to ").append(committedLsn);
    }
    if (lagBytes != null) {
      text.append(", slot lag ").append(lagBytes).append(" bytes");
    }
    if (snapshotProgress != null) {
      text.append(", ").append(snapshotProgress);
    }
    return text.toString();
  }
}
