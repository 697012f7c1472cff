package io.datis;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A pipeline's health, shaped for a readiness/liveness probe or an HTTP health endpoint; each call
 * of {@link Pipeline#health()} returns a new, immutable report:
 *
 * <pre>{@code
 * Health health = pipeline.health();
 * int httpStatus = health.status() == Health.Status.DOWN ? 503 : 200;
 * String body = health.toString(); // e.g. "DEGRADED (sink retrying for 12 s: UNAVAILABLE ...)"
 * }</pre>
 *
 * <p>Its {@code toString()} reads like {@code UP, last event 2026-11-26T17:00:00Z, committed up to
 * 0/16B3748}: the status, the reasons in parentheses, then whatever else is known.
 */
public interface Health {

  /** The overall verdict. */
  enum Status {
    /**
     * Started, but not capturing yet: the engine is still connecting to the replication slot and no
     * change has been captured. A readiness probe can wait for {@link #UP}.
     */
    STARTING,
    /** Capturing and delivering normally. */
    UP,
    /**
     * Running, but something is retrying; no data is lost meanwhile (capture pauses when needed).
     */
    DEGRADED,
    /** Stopped: closed, or failed (see the reasons). */
    DOWN
  }

  /** STARTING, UP, DEGRADED or DOWN. */
  Status status();

  /** Why the status is not UP, one sentence each; empty when UP. */
  List<String> reasons();

  /** When the pipeline last captured a change, if it has. */
  Optional<Instant> lastEventTime();

  /** The LSN up to which delivery has been committed, in PostgreSQL's notation, if anything was. */
  Optional<String> lastCommittedLsn();

  /**
   * How many bytes of WAL the replication slot holds back for this pipeline, as last read from
   * {@code pg_replication_slots} (every 5 s); empty before the first reading.
   */
  OptionalLong slotLagBytes();

  /**
   * The snapshot while streaming in progress (tables added to the pipeline, {@link
   * Pipeline#snapshot}), e.g. {@code snapshot while streaming: reading public.orders (41,000 rows
   * so far), public.items waiting}; empty when none runs.
   */
  Optional<String> snapshot();
}
