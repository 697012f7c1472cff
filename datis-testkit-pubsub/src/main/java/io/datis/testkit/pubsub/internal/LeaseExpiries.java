package io.datis.testkit.pubsub.internal;

import java.util.Collection;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;

/**
 * The deadlines of a subscription's leases, soonest first. A deadline is stale once its lease is
 * settled or has a newer deadline; stale deadlines are skipped when due, and dropped when they pile
 * up. Guarded by the subscription's monitor.
 */
final class LeaseExpiries {

  private PriorityQueue<Expiry> expiries = new PriorityQueue<>();

  /** Adds the lease's current deadline. */
  void add(Lease lease) {
    expiries.add(new Expiry(lease, lease.deadline, lease.stamp));
  }

  /** Removes and returns the next lease, still leased, whose deadline has passed; or null. */
  @Nullable Lease pollDue(long nowNanos) {
    Expiry expiry;
    while ((expiry = expiries.peek()) != null && expiry.deadline - nowNanos <= 0) {
      expiries.poll();
      Lease lease = expiry.lease;
      if (lease.state == Lease.LEASED && lease.stamp == expiry.stamp) {
        return lease;
      }
    }
    return null;
  }

  /**
   * Acknowledged leases stay here until their deadline; when they pile up, keeps only the current
   * deadlines of the {@code live} leases.
   */
  void compact(Collection<Lease> live) {
    if (expiries.size() > 4 * live.size() + 4096) {
      PriorityQueue<Expiry> current = new PriorityQueue<>(Math.max(16, live.size()));
      for (Lease lease : live) {
        current.add(new Expiry(lease, lease.deadline, lease.stamp));
      }
      expiries = current;
    }
  }

  void clear() {
    expiries.clear();
  }

  /** A deadline of a lease, as it was when set. */
  private static final class Expiry implements Comparable<Expiry> {
    final Lease lease;
    final long deadline;
    final int stamp;

    Expiry(Lease lease, long deadline, int stamp) {
      this.lease = lease;
      this.deadline = deadline;
      this.stamp = stamp;
    }

    @Override
    public int compareTo(Expiry other) {
      return Long.compare(deadline - other.deadline, 0);
    }
  }
}
