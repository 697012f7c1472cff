package io.datis.internal;

import io.datis.Health;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
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
    @Nullable String snapshotProgress,
    Health.Role role,
    Instant roleSince,
    @Nullable String holder)
    implements Health {

  HealthSnapshot {
    Objects.requireNonNull(status, "status");
    reasons = List.copyOf(reasons);
  }

  /** The report of an active instance, without its role's start yet. */
  static HealthSnapshot active(
      Health.Status status,
      List<String> reasons,
      @Nullable Instant lastEvent,
      @Nullable String committedLsn,
      @Nullable Long lagBytes,
      @Nullable String snapshotProgress) {
    return new HealthSnapshot(
        status,
        reasons,
        lastEvent,
        committedLsn,
        lagBytes,
        snapshotProgress,
        Health.Role.ACTIVE,
        Instant.EPOCH,
        null);
  }

  /** A standby's report: STANDBY, or DEGRADED when it could not take over. */
  static HealthSnapshot standby(
      Health.Status status, List<String> reasons, Instant since, @Nullable String holder) {
    return new HealthSnapshot(
        status, reasons, null, null, null, null, Health.Role.STANDBY, since, holder);
  }

  /** This report, with the instance's role and since when it has had it. */
  HealthSnapshot withRole(Health.Role role, Instant since) {
    return new HealthSnapshot(
        status, reasons, lastEvent, committedLsn, lagBytes, snapshotProgress, role, since, holder);
  }

  @Override
  public Optional<String> activeInstance() {
    return Optional.ofNullable(holder);
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
    text.append(", ")
        .append(role.name().toLowerCase(Locale.ROOT))
        .append(" since ")
        .append(roleSince);
    return text.toString();
  }
}
