package io.datis.spring.boot.internal;

import io.datis.Pipeline;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * One pipeline's health, as Spring Boot's: Datis's {@code UP} and {@code DOWN} are Spring's, and
 * {@code STARTING}, {@code DEGRADED} and {@code STANDBY} are statuses of their own (see {@link
 * DatisHealthDefaults} for their order and HTTP codes). Details: role, roleSince, activeInstance,
 * reasons, lastEventTime, lastCommittedLsn, slotLagBytes and snapshot, those that are known.
 */
public final class PipelineHealthIndicator implements HealthIndicator {

  /** Started, not capturing yet. */
  public static final Status STARTING = new Status("STARTING");

  /** Running, something retrying; no data lost meanwhile. */
  public static final Status DEGRADED = new Status("DEGRADED");

  /** Another instance of the pipeline is active; this one takes over when that one stops. */
  public static final Status STANDBY = new Status("STANDBY");

  private final PipelineRunner runner;

  /** The health of the runner's pipeline. */
  public PipelineHealthIndicator(PipelineRunner runner) {
    this.runner = Objects.requireNonNull(runner, "runner");
  }

  @Override
  public Health health() {
    Pipeline pipeline = runner.pipeline();
    if (pipeline == null) {
      RuntimeException failure = runner.startFailure();
      if (failure != null) {
        return Health.down()
            .withDetail("reasons", List.of("could not start: " + failure.getMessage()))
            .build();
      }
      return Health.status(STARTING)
          .withDetail("reasons", List.of("not started: it starts with the application context"))
          .build();
    }
    return of(pipeline.health());
  }

  /** Spring's form of a Datis health report. */
  public static Health of(io.datis.Health health) {
    Health.Builder builder = Health.status(status(health.status()));
    builder.withDetail("role", health.role().name());
    builder.withDetail("roleSince", health.roleSince().toString());
    health.activeInstance().ifPresent(instance -> builder.withDetail("activeInstance", instance));
    builder.withDetail("reasons", health.reasons());
    health.lastEventTime().ifPresent(time -> builder.withDetail("lastEventTime", time.toString()));
    health.lastCommittedLsn().ifPresent(lsn -> builder.withDetail("lastCommittedLsn", lsn));
    OptionalLong lag = health.slotLagBytes();
    if (lag.isPresent()) {
      builder.withDetail("slotLagBytes", lag.getAsLong());
    }
    health.snapshot().ifPresent(snapshot -> builder.withDetail("snapshot", snapshot));
    return builder.build();
  }

  /** Spring's status for a Datis status. */
  public static Status status(io.datis.Health.Status status) {
    switch (status) {
      case UP:
        return Status.UP;
      case DEGRADED:
        return DEGRADED;
      case STANDBY:
        return STANDBY;
      case STARTING:
        return STARTING;
      case DOWN:
      default:
        return Status.DOWN;
    }
  }
}
