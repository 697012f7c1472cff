package io.datis.pubsub.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the replicas of a high-availability fault test said about their roles ({@code ROLE}, {@code
 * STARTED}, {@code PERIOD} lines of {@link CaptureProcess}), and the checks on them: at no moment
 * two live replicas active, and no two active periods overlapping.
 */
final class ReplicaRoles {

  /** When one replica's active period first handed a batch to its sink and last saw one done. */
  record Period(String replica, long first, long last) {}

  private final List<String> overlaps = new ArrayList<>();

  /**
   * Waits until exactly one live replica is active, and returns it; notes any moment at which two
   * live replicas say they are active.
   */
  ChildJvm awaitTheActive(List<ChildJvm> replicas, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      List<ChildJvm> active = new ArrayList<>();
      for (ChildJvm replica : replicas) {
        if (replica.isAlive() && "ACTIVE".equals(role(replica))) {
          active.add(replica);
        }
      }
      if (active.size() > 1) {
        overlaps.add(active.size() + " replicas active at " + System.currentTimeMillis());
      }
      if (active.size() == 1) {
        return active.get(0);
      }
      Thread.sleep(50);
    }
    StringBuilder logs = new StringBuilder();
    for (ChildJvm replica : replicas) {
      logs.append("\n--- ").append(replica.log()).append('\n').append(replica.logTail());
    }
    throw new AssertionError("No replica became active within " + wait + logs);
  }

  /** The moments seen so far at which two live replicas said they were active. */
  List<String> overlaps() {
    return List.copyOf(overlaps);
  }

  /** The replica's role as it last said: its last ROLE line, else what it started as. */
  static @Nullable String role(ChildJvm replica) {
    List<String> changes = replica.lines("ROLE ");
    if (!changes.isEmpty()) {
      return changes.get(changes.size() - 1).split(" ")[1];
    }
    String started = replica.line("STARTED");
    return started == null ? null : started.substring(started.indexOf("role=") + 5).split(" ")[0];
  }

  /** When the replica last changed its role (epoch ms). */
  static long lastRoleChange(ChildJvm replica) {
    List<String> changes = replica.lines("ROLE ");
    return value(changes.get(changes.size() - 1), "at");
  }

  /** The active periods of these replicas that ended (by a role change or a stop), by start. */
  static List<Period> periods(List<ChildJvm> replicas) {
    List<Period> periods = new ArrayList<>();
    for (ChildJvm replica : replicas) {
      for (String line : replica.lines("PERIOD first=")) {
        periods.add(
            new Period(
                replica.log().getFileName().toString(), value(line, "first"), value(line, "last")));
      }
    }
    periods.sort(Comparator.comparingLong(Period::first));
    return periods;
  }

  /** Pairs of active periods of different replicas that overlap in time; empty when none. */
  static List<String> overlappingPeriods(List<Period> periods) {
    List<String> overlapping = new ArrayList<>();
    for (int i = 1; i < periods.size(); i++) {
      Period before = periods.get(i - 1);
      Period after = periods.get(i);
      if (after.first() <= before.last()) {
        overlapping.add(before + " overlaps " + after);
      }
    }
    return overlapping;
  }

  /** The number after {@code name=} in a protocol line. */
  static long value(String line, String name) {
    String rest = line.substring(line.indexOf(name + "=") + name.length() + 1);
    int space = rest.indexOf(' ');
    return Long.parseLong(space < 0 ? rest : rest.substring(0, space));
  }
}
