package io.datis.internal;

import io.datis.Health;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which role an instance of a pipeline has, since when, and who hears of a change: an INFO log
 * line, the builder's role listener and the gauge {@code datis.pipeline.active} (1 while active).
 */
final class RoleReport implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ReplicaPipeline.class);

  private final String pipeline;
  private final Consumer<Health.Role> listener;
  private final @Nullable MeterRegistry registry;
  private final @Nullable Gauge gauge;
  private Health.Role role = Health.Role.STANDBY;
  private Instant since = Instant.now();
  private volatile boolean active;

  RoleReport(PipelineSettings settings) {
    this.pipeline = settings.name();
    this.listener = settings.roleListener();
    this.registry = settings.meterRegistry();
    this.gauge =
        registry == null
            ? null
            : Gauge.builder("datis.pipeline.active", this, report -> report.active ? 1 : 0)
                .description(
                    "1 while this instance is the pipeline's active one, 0 as a standby or stopped")
                .tag("pipeline", pipeline)
                .strongReference(true)
                .register(registry);
  }

  synchronized Health.Role role() {
    return role;
  }

  synchronized Instant since() {
    return since;
  }

  /** Records a role change, logs it and tells the listener (on the caller's thread). */
  void change(Health.Role next) {
    synchronized (this) {
      if (role == next) {
        return;
      }
      role = next;
      since = Instant.now();
    }
    active = next == Health.Role.ACTIVE;
    if (active) {
      log.info("Pipeline '{}' is now the active instance ({})", pipeline, PipelineLock.instance());
    } else {
      log.info(
          "Pipeline '{}' is now a standby ({}): another instance may take over",
          pipeline,
          PipelineLock.instance());
    }
    try {
      listener.accept(next);
    } catch (RuntimeException e) {
      log.warn("Pipeline '{}': the role listener failed: {}", pipeline, e.toString());
    }
  }

  /**
   * The pipeline stopped: the gauge goes, so that a later pipeline of the name registers its own.
   */
  @Override
  public void close() {
    active = false;
    MeterRegistry open = registry;
    Gauge registered = gauge;
    if (open != null && registered != null) {
      open.remove(registered);
    }
  }
}
