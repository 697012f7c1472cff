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
 * 0/16B3748, active since 2026-11-26T16:00:00Z}: the status, the reasons in parentheses, then
 * whatever else is known, and the role.
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
    DOWN,
    /**
     * Running as a standby: another instance of the pipeline is active (see {@link
     * #activeInstance()}), and this one takes over when that one stops or dies. Ready, in the sense
     * of a readiness probe, but not capturing. A standby that cannot reach PostgreSQL (so could not
     * take over) says {@link #DEGRADED} instead, with {@link #role()} STANDBY.
     */
    STANDBY
  }

  /**
   * Which of the replicas running the same pipeline this instance is: at most one is active at a
   * time (see "Running several replicas" in the README).
   */
  enum Role {
    /** Holds the pipeline's lock: captures and delivers. */
    ACTIVE,
    /** Waits for the lock, capturing nothing. */
    STANDBY
  }

  /** STARTING, UP, DEGRADED, DOWN or STANDBY. */
  Status status();

  /** ACTIVE or STANDBY; after {@code close()}, the role the pipeline had last. */
  Role role();

  /** Since when this instance has had its {@link #role()}. */
  Instant roleSince();

  /**
   * The instance that holds the pipeline's lock, as PostgreSQL names its session (e.g. {@code
   * 'datis-orders lock pod-7f9c:1'}), when this instance is a standby and it is known.
   */
  Optional<String> activeInstance();

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
