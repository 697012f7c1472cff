package io.datis;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A pipeline's health, shaped for a readiness/liveness probe or an HTTP health endpoint:
 *
 * <pre>{@code
 * Health health = pipeline.health();
 * int httpStatus = health.status() == Health.Status.DOWN ? 503 : 200;
 * String body = health.toString(); // e.g. "DEGRADED (sink retrying for 12 s: UNAVAILABLE ...)"
 * }</pre>
 */
public final class Health {

  /** The overall verdict. */
  public enum Status {
    /** Capturing and delivering normally. */
    UP,
    /**
     * Running, but something is retrying; no data is lost meanwhile (capture pauses when needed).
     */
    DEGRADED,
    /** Stopped: closed, or failed (see the reasons). */
    DOWN
  }

  private final Status status;
  private final List<String> reasons;
  private final @Nullable Instant lastEventTime;
  private final @Nullable String lastCommittedLsn;
  private final @Nullable Long slotLagBytes;
  private final @Nullable String snapshot;

  /** Creates a health report; used by the pipeline. */
  public Health(
      Status status,
      List<String> reasons,
      @Nullable Instant lastEventTime,
      @Nullable String lastCommittedLsn,
      @Nullable Long slotLagBytes,
      @Nullable String snapshot) {
    this.status = Objects.requireNonNull(status, "status");
    this.reasons = List.copyOf(reasons);
    this.lastEventTime = lastEventTime;
    this.lastCommittedLsn = lastCommittedLsn;
    this.slotLagBytes = slotLagBytes;
    this.snapshot = snapshot;
  }

  /** UP, DEGRADED or DOWN. */
  public Status status() {
    return status;
  }

  /** Why the status is not UP, one sentence each; empty when UP. */
  public List<String> reasons() {
    return reasons;
  }

  /** When the pipeline last captured a change, if it has. */
  public Optional<Instant> lastEventTime() {
    return Optional.ofNullable(lastEventTime);
  }

  /** The LSN up to which delivery has been committed, in PostgreSQL's notation, if anything was. */
  public Optional<String> lastCommittedLsn() {
    return Optional.ofNullable(lastCommittedLsn);
  }

  /**
   * How many bytes of WAL the replication slot holds back for this pipeline, as last read from
   * {@code pg_replication_slots} (every 5 s); empty before the first reading.
   */
  public OptionalLong slotLagBytes() {
    return slotLagBytes == null ? OptionalLong.empty() : OptionalLong.of(slotLagBytes);
  }

  /**
   * The snapshot while streaming in progress (tables added to the pipeline, {@link
   * Pipeline#snapshot}), e.g. {@code snapshot while streaming: reading public.orders (41,000 rows
   * so far), public.items waiting}; empty when none runs.
   */
  public Optional<String> snapshot() {
    return Optional.ofNullable(snapshot);
  }

  /** For example {@code UP, last event 2026-11-26T17:00:00Z, committed up to 0/16B3748}. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(status.name());
    if (!reasons.isEmpty()) {
      text.append(" (").append(String.join("; ", reasons)).append(')');
    }
    if (lastEventTime != null) {
      text.append(", last event ").append(lastEventTime);
    }
    if (lastCommittedLsn != null) {
      text.append(", committed up to ").append(lastCommittedLsn);
    }
    if (slotLagBytes != null) {
      text.append(", slot lag ").append(slotLagBytes).append(" bytes");
    }
    if (snapshot != null) {
      text.append(", ").append(snapshot);
    }
    return text.toString();
  }
}
