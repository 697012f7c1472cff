package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.ReceivedMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The messages of one subscription that are not acknowledged yet: those waiting for delivery and
 * those leased to a consumer until acknowledged, nacked or expired.
 *
 * <p>With message ordering, the waiting messages of an ordering key form a queue. A delivery takes
 * a <em>run</em> from the head of one key's queue, in publish order, into one response; the key
 * then delivers nothing more until the whole run is acknowledged. When a message of a run is nacked
 * or its lease expires, it and every later message of the run (acknowledged ones too, as the real
 * service does) go back to the head of the key's queue, so they are delivered again in order and
 * before the key's newer messages.
 *
 * <p>Not thread-safe: its {@link SubscriptionState} guards it with its monitor.
 */
final class Backlog {

  /**
   * The most message bytes in one response, unless its first message alone is larger: keeps
   * responses below gRPC's default 4 MB limit on inbound messages, which a channel from {@code
   * ManagedChannelBuilder} has unless raised.
   */
  static final long MAX_RESPONSE_BYTES = 3L * 1024 * 1024;

  private final boolean ordered;
  private final String ackIdPrefix;
  private final ArrayDeque<PendingMessage> ready = new ArrayDeque<>();
  private final Map<String, OrderingKeyQueue> keys = new HashMap<>();
  private final ArrayDeque<OrderingKeyQueue> readyKeys = new ArrayDeque<>();
  private final Map<String, Lease> leases = new HashMap<>();
  private final LeaseExpiries expiries = new LeaseExpiries();
  private long ackCounter;

  /**
   * @param ordered whether messages of one ordering key are delivered in order
   * @param ackIdPrefix the start of every ack id, unique to the subscription
   */
  Backlog(boolean ordered, String ackIdPrefix) {
    this.ordered = ordered;
    this.ackIdPrefix = ackIdPrefix;
  }

  /** Adds newly published messages. */
  void add(List<PubsubMessage> messages) {
    for (PubsubMessage message : messages) {
      PendingMessage pending = new PendingMessage(message);
      String key = message.getOrderingKey();
      if (!ordered || key.isEmpty()) {
        ready.addLast(pending);
        continue;
      }
      OrderingKeyQueue state = keys.get(key);
      if (state == null) {
        state = new OrderingKeyQueue(key);
        keys.put(key, state);
      }
      state.waiting.addLast(pending);
      if (!state.queued && state.run.isEmpty()) {
        state.queued = true;
        readyKeys.addLast(state);
      }
    }
  }

  /**
   * Leases up to {@code max} messages, of at most {@code byteBudget} bytes (and {@link
   * #MAX_RESPONSE_BYTES}) unless the first alone is larger, for {@code deadlineSeconds}.
   *
   * @param session the stream whose flow control counts the leases, or null for a Pull call
   */
  List<ReceivedMessage> take(
      @Nullable StreamingPullSession session, int max, long byteBudget, int deadlineSeconds) {
    if (ready.isEmpty() && readyKeys.isEmpty()) {
      return List.of();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(deadlineSeconds);
    long byteLimit = Math.min(byteBudget, MAX_RESPONSE_BYTES);
    List<ReceivedMessage> taken = new ArrayList<>(Math.min(max, 128));
    long bytes = 0;
    while (taken.size() < max) {
      OrderingKeyQueue key = readyKeys.peekFirst();
      if (key != null) {
        if (!fits(key.waiting.getFirst(), bytes, byteLimit, taken)) {
          break;
        }
        readyKeys.removeFirst();
        key.queued = false;
        do {
          PendingMessage pending = key.waiting.removeFirst();
          bytes += pending.size;
          taken.add(lease(pending, key, session, deadline));
        } while (taken.size() < max
            && !key.waiting.isEmpty()
            && fits(key.waiting.getFirst(), bytes, byteLimit, taken));
        continue;
      }
      PendingMessage pending = ready.peekFirst();
      if (pending == null || !fits(pending, bytes, byteLimit, taken)) {
        break;
      }
      ready.removeFirst();
      bytes += pending.size;
      taken.add(lease(pending, null, session, deadline));
    }
    return taken;
  }

  /** Whether a message fits in a response; the first always does, however large. */
  private static boolean fits(
      PendingMessage next, long bytes, long limit, List<ReceivedMessage> taken) {
    return taken.isEmpty() || bytes + next.size <= limit;
  }

  private ReceivedMessage lease(
      PendingMessage pending,
      @Nullable OrderingKeyQueue key,
      @Nullable StreamingPullSession session,
      long deadline) {
    Lease lease = new Lease(ackIdPrefix + Long.toString(++ackCounter, 36), pending, key, session);
    lease.deadline = deadline;
    leases.put(lease.ackId, lease);
    expiries.add(lease);
    if (key != null) {
      lease.runIndex = key.run.size();
      key.run.add(lease);
      key.unacked++;
    }
    if (session != null) {
      session.leasedMessages++;
      session.leasedBytes += pending.size;
    }
    return ReceivedMessage.newBuilder().setAckId(lease.ackId).setMessage(pending.message).build();
  }

  /**
   * Acknowledges leases; unknown and expired ack ids are ignored, as by the real service.
   *
   * @return whether messages may have become deliverable, so consumers should be signalled
   */
  boolean acknowledge(List<String> ackIds) {
    boolean wake = false;
    for (String ackId : ackIds) {
      Lease lease = leases.remove(ackId);
      if (lease == null) {
        continue;
      }
      lease.state = Lease.ACKED;
      wake |= lease.release();
      OrderingKeyQueue key = lease.key;
      if (key != null && --key.unacked == 0) {
        wake |= finishRun(key);
      }
    }
    return wake;
  }

  /**
   * Sets the deadline of leases to {@code seconds} from now; 0 returns them for redelivery at once.
   *
   * @return whether messages may have become deliverable, so consumers should be signalled
   */
  boolean modifyAckDeadline(List<String> ackIds, int seconds) {
    boolean wake = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (String ackId : ackIds) {
      Lease lease = leases.get(ackId);
      if (lease == null) {
        continue;
      }
      if (seconds == 0) {
        giveBack(lease);
        wake = true;
      } else {
        lease.deadline = deadline;
        lease.stamp++;
        expiries.add(lease);
      }
    }
    return wake;
  }

  /**
   * Returns the leases whose deadline has passed for redelivery.
   *
   * @return whether any was returned, so consumers should be signalled
   */
  boolean expireDue(long nowNanos) {
    boolean returned = false;
    Lease lease;
    while ((lease = expiries.pollDue(nowNanos)) != null) {
      giveBack(lease);
      returned = true;
    }
    expiries.compact(leases.values());
    return returned;
  }

  /** The number of messages not yet acknowledged: waiting or leased. */
  int size() {
    int count = ready.size() + leases.size();
    for (OrderingKeyQueue key : keys.values()) {
      count += key.waiting.size();
    }
    return count;
  }

  /** Drops every message. */
  void clear() {
    ready.clear();
    keys.clear();
    readyKeys.clear();
    leases.clear();
    expiries.clear();
  }

  private void giveBack(Lease lease) {
    OrderingKeyQueue key = lease.key;
    if (key == null) {
      leases.remove(lease.ackId);
      lease.state = Lease.RETURNED;
      lease.release();
      ready.addFirst(lease.pending);
      return;
    }
    List<Lease> run = key.run;
    for (int i = run.size() - 1; i >= lease.runIndex; i--) {
      Lease later = run.get(i);
      if (later.state == Lease.LEASED) {
        leases.remove(later.ackId);
        later.release();
        key.unacked--;
      }
      later.state = Lease.RETURNED;
      key.waiting.addFirst(later.pending);
    }
    run.subList(lease.runIndex, run.size()).clear();
    if (key.unacked == 0) {
      run.clear();
      key.queued = true;
      readyKeys.addFirst(key);
    }
  }

  private boolean finishRun(OrderingKeyQueue key) {
    key.run.clear();
    if (key.waiting.isEmpty()) {
      keys.remove(key.key);
      return false;
    }
    key.queued = true;
    readyKeys.addLast(key);
    return true;
  }
}
