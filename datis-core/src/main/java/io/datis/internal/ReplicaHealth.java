package io.datis.internal;

import io.datis.Health;
import io.datis.api.DatisException;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The health of one replica's pipeline ({@link ReplicaPipeline}): its run's own report while it is
 * active, otherwise what the replica knows: stopping after losing its lock (DEGRADED), stopped
 * (DOWN), starting a run (STARTING), waiting out the previous holder's lease, or a standby
 * (STANDBY, or DEGRADED when it cannot reach PostgreSQL and so could not take over, or when its own
 * run lost the lock and no other instance is known to have taken over).
 */
final class ReplicaHealth {

  /** What the replica knows when asked. */
  record State(
      @Nullable DatisPipeline run,
      @Nullable DatisPipeline lastRun,
      Health.Role role,
      Instant since,
      @Nullable DatisException failure,
      boolean terminated,
      boolean takingOver,
      @Nullable String holder,
      @Nullable String trouble) {}

  private ReplicaHealth() {}

  static Health of(PipelineSettings settings, State state) {
    DatisPipeline run = state.run();
    if (run != null) {
      String fenced = run.fencedBecause();
      if (fenced == null || state.terminated()) {
        return run.report().withRole(Health.Role.ACTIVE, state.since());
      }
      return report(
          Health.Status.DEGRADED,
          "lost its lock on PostgreSQL ("
              + fenced
              + "): stopped delivering, "
              + (settings.standby() ? "becoming a standby" : "stopping"),
          state);
    }
    DatisException failed = state.failure();
    DatisPipeline last = state.lastRun();
    if (state.terminated() && last != null && last.fencedBecause() == null) {
      // the run's own last words: why it stopped, and what it committed
      return last.report().withRole(state.role(), state.since());
    }
    if (failed != null || state.terminated()) {
      return report(
          Health.Status.DOWN, failed == null ? "closed" : "failed: " + failed.getMessage(), state);
    }
    if (state.role() == Health.Role.ACTIVE) {
      return report(
          Health.Status.STARTING, "taking over: checking the database and starting capture", state);
    }
    // This instance was active until its run lost the lock (PostgreSQL unreachable, a failover):
    // until it or another instance captures again, nobody does.
    String ownFence = last != null && state.holder() == null ? last.fencedBecause() : null;
    if (state.takingOver()) {
      String waiting =
          "holds the lock, waits "
              + Lease.DURATION.toSeconds()
              + " s for the previous holder's lease to run out";
      return ownFence != null
          ? HealthSnapshot.standby(
              Health.Status.DEGRADED,
              List.of("reconnecting after losing its lock (" + ownFence + "): " + waiting),
              state.since(),
              null)
          : HealthSnapshot.standby(
              Health.Status.STANDBY,
              List.of("standby taking over: " + waiting),
              state.since(),
              null);
    }
    String trouble = state.trouble();
    if (trouble != null) {
      return HealthSnapshot.standby(
          Health.Status.DEGRADED, List.of("standby: " + trouble), state.since(), state.holder());
    }
    if (ownFence != null) {
      return HealthSnapshot.standby(
          Health.Status.DEGRADED,
          List.of(
              "reconnecting after losing its lock ("
                  + ownFence
                  + "): no instance is known to capture meanwhile"),
          state.since(),
          null);
    }
    String holder = state.holder();
    return HealthSnapshot.standby(
        Health.Status.STANDBY,
        List.of(
            "standby: pipeline '"
                + settings.name()
                + "' is active in "
                + (holder == null ? "another instance" : holder)),
        state.since(),
        holder);
  }

  private static HealthSnapshot report(Health.Status status, String reason, State state) {
    return HealthSnapshot.active(status, List.of(reason), null, null, null, null)
        .withRole(state.role(), state.since());
  }
}
