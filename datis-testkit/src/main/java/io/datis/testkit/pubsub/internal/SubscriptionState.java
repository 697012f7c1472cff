package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.StreamingPullResponse.SubscriptionProperties;
import com.google.pubsub.v1.Subscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The messages of one subscription: those waiting for delivery and those leased to a consumer until
 * acknowledged, nacked or expired.
 *
 * <p>With message ordering, the waiting messages of an ordering key form a queue. A delivery takes
 * a <em>run</em> from the head of one key's queue, in publish order, into one response; the key
 * then delivers nothing more until the whole run is acknowledged. When a message of a run is nacked
 * or its lease expires, it and every later message of the run (acknowledged ones too, as the real
 * service does) go back to the head of the key's queue, so they are delivered again in order and
 * before the key's newer messages.
 *
 * <p>All state is guarded by this object's monitor, held only for in-memory work: callers send
 * responses after releasing it, and call {@link #signalConsumers()} without holding it.
 */
final class SubscriptionState {

  /** The most messages in one response. */
  static final int MAX_PER_RESPONSE = 1000;

  /**
   * The most message bytes in one response, unless its first message alone is larger: keeps
   * responses below gRPC's default 4 MB limit on inbound messages, which a channel from {@code
   * ManagedChannelBuilder} has unless raised.
   */
  static final long MAX_RESPONSE_BYTES = 3L * 1024 * 1024;

  private static final byte LEASED = 0;
  private static final byte ACKED = 1;
  private static final byte RETURNED = 2;

  private final String name;
  private final boolean ordered;
  private final int ackDeadlineSeconds;
  private final String ackIdPrefix;
  private final SubscriptionProperties properties;
  private final List<Consumer> consumers = new CopyOnWriteArrayList<>();
  private volatile Subscription config;

  // guarded by this
  private boolean deleted;
  private final ArrayDeque<Pending> ready = new ArrayDeque<>();
  private final Map<String, KeyState> keys = new HashMap<>();
  private final ArrayDeque<KeyState> readyKeys = new ArrayDeque<>();
  private final Map<String, Lease> leases = new HashMap<>();
  private PriorityQueue<Expiry> expiries = new PriorityQueue<>();
  private long ackCounter;

  SubscriptionState(Subscription config, long serial) {
    this.name = config.getName();
    this.config = config;
    this.ordered = config.getEnableMessageOrdering();
    this.ackDeadlineSeconds = config.getAckDeadlineSeconds();
    this.ackIdPrefix = Long.toString(serial, 36) + "-";
    this.properties =
        SubscriptionProperties.newBuilder().setMessageOrderingEnabled(ordered).build();
  }

  String name() {
    return name;
  }

  Subscription config() {
    return config;
  }

  String topic() {
    return config.getTopic();
  }

  SubscriptionProperties properties() {
    return properties;
  }

  int ackDeadlineSeconds() {
    return ackDeadlineSeconds;
  }

  void topicDeleted() {
    config = config.toBuilder().setTopic(Names.DELETED_TOPIC).build();
  }

  void attach(Consumer consumer) {
    consumers.add(consumer);
  }

  void detach(Consumer consumer) {
    consumers.remove(consumer);
  }

  void signalConsumers() {
    for (Consumer consumer : consumers) {
      consumer.messagesAvailable();
    }
  }

  /** Deletes the subscription: drops its messages and fails its consumers with NOT_FOUND. */
  void delete() {
    synchronized (this) {
      deleted = true;
      ready.clear();
      keys.clear();
      readyKeys.clear();
      leases.clear();
      expiries.clear();
    }
    RpcException notFound = RpcException.notFound(name);
    for (Consumer consumer : consumers) {
      consumer.subscriptionDeleted(notFound);
    }
    consumers.clear();
  }

  /** Adds newly published messages; the caller then calls {@link #signalConsumers()}. */
  synchronized void enqueue(List<PubsubMessage> messages) {
    if (deleted) {
      return;
    }
    for (PubsubMessage message : messages) {
      Pending pending = new Pending(message);
      String key = message.getOrderingKey();
      if (!ordered || key.isEmpty()) {
        ready.addLast(pending);
        continue;
      }
      KeyState state = keys.get(key);
      if (state == null) {
        state = new KeyState(key);
        keys.put(key, state);
      }
      state.waiting.addLast(pending);
      if (!state.queued && state.run.isEmpty()) {
        state.queued = true;
        readyKeys.addLast(state);
      }
    }
  }

  /** Leases messages to a stream, within the stream's flow control. */
  synchronized List<ReceivedMessage> take(StreamingPullSession session) {
    int max = MAX_PER_RESPONSE;
    if (session.maxMessages > 0) {
      max = (int) Math.min(max, session.maxMessages - session.leasedMessages);
    }
    long byteBudget =
        session.maxBytes > 0 ? session.maxBytes - session.leasedBytes : Long.MAX_VALUE;
    if (max <= 0 || byteBudget <= 0) {
      return List.of();
    }
    return takeLocked(session, max, byteBudget, session.ackDeadlineSeconds);
  }

  /** Leases messages for a Pull call, with the subscription's ack deadline. */
  synchronized List<ReceivedMessage> take(int maxMessages) {
    return takeLocked(null, maxMessages, Long.MAX_VALUE, ackDeadlineSeconds);
  }

  /** Leases messages for a waiting Pull call, unless it has already been answered. */
  synchronized List<ReceivedMessage> take(PullWaiter waiter) {
    if (waiter.done) {
      return List.of();
    }
    List<ReceivedMessage> taken =
        takeLocked(null, waiter.maxMessages, Long.MAX_VALUE, ackDeadlineSeconds);
    if (!taken.isEmpty()) {
      waiter.done = true;
    }
    return taken;
  }

  /** Marks a waiting Pull call as answered; false if it already was. */
  synchronized boolean finish(PullWaiter waiter) {
    if (waiter.done) {
      return false;
    }
    waiter.done = true;
    return true;
  }

  private List<ReceivedMessage> takeLocked(
      @Nullable StreamingPullSession session, int max, long byteBudget, int deadlineSeconds) {
    if (deleted || (ready.isEmpty() && readyKeys.isEmpty())) {
      return List.of();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(deadlineSeconds);
    long byteLimit = Math.min(byteBudget, MAX_RESPONSE_BYTES);
    List<ReceivedMessage> taken = new ArrayList<>(Math.min(max, 128));
    long bytes = 0;
    while (taken.size() < max) {
      KeyState key = readyKeys.peekFirst();
      if (key != null) {
        if (!fits(key.waiting.getFirst(), bytes, byteLimit, taken)) {
          break;
        }
        readyKeys.removeFirst();
        key.queued = false;
        do {
          Pending pending = key.waiting.removeFirst();
          bytes += pending.size;
          taken.add(lease(pending, key, session, deadline));
        } while (taken.size() < max
            && !key.waiting.isEmpty()
            && fits(key.waiting.getFirst(), bytes, byteLimit, taken));
        continue;
      }
      Pending pending = ready.peekFirst();
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
  private static boolean fits(Pending next, long bytes, long limit, List<ReceivedMessage> taken) {
    return taken.isEmpty() || bytes + next.size <= limit;
  }

  private ReceivedMessage lease(
      Pending pending,
      @Nullable KeyState key,
      @Nullable StreamingPullSession session,
      long deadline) {
    Lease lease = new Lease(ackIdPrefix + Long.toString(++ackCounter, 36), pending, key, session);
    lease.deadline = deadline;
    leases.put(lease.ackId, lease);
    expiries.add(new Expiry(lease, deadline, 0));
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
  synchronized boolean acknowledge(List<String> ackIds) {
    boolean wake = false;
    for (String ackId : ackIds) {
      Lease lease = leases.remove(ackId);
      if (lease == null) {
        continue;
      }
      lease.state = ACKED;
      wake |= release(lease);
      KeyState key = lease.key;
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
  synchronized boolean modifyAckDeadline(List<String> ackIds, int seconds) {
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
        expiries.add(new Expiry(lease, deadline, lease.stamp));
      }
    }
    return wake;
  }

  /**
   * Returns the leases whose deadline has passed for redelivery.
   *
   * @return whether any was returned, so consumers should be signalled
   */
  synchronized boolean expireDue(long nowNanos) {
    boolean returned = false;
    Expiry expiry;
    while ((expiry = expiries.peek()) != null && expiry.deadline - nowNanos <= 0) {
      expiries.poll();
      Lease lease = expiry.lease;
      if (lease.state == LEASED && lease.stamp == expiry.stamp) {
        giveBack(lease);
        returned = true;
      }
    }
    // Acknowledged leases stay in the heap until their deadline; drop them when they pile up.
    if (expiries.size() > 4 * leases.size() + 4096) {
      PriorityQueue<Expiry> live = new PriorityQueue<>(Math.max(16, leases.size()));
      for (Lease lease : leases.values()) {
        live.add(new Expiry(lease, lease.deadline, lease.stamp));
      }
      expiries = live;
    }
    return returned;
  }

  /** The number of messages not yet acknowledged: waiting or leased. */
  synchronized int unacknowledged() {
    int count = ready.size() + leases.size();
    for (KeyState key : keys.values()) {
      count += key.waiting.size();
    }
    return count;
  }

  private void giveBack(Lease lease) {
    KeyState key = lease.key;
    if (key == null) {
      leases.remove(lease.ackId);
      lease.state = RETURNED;
      release(lease);
      ready.addFirst(lease.pending);
      return;
    }
    List<Lease> run = key.run;
    for (int i = run.size() - 1; i >= lease.runIndex; i--) {
      Lease later = run.get(i);
      if (later.state == LEASED) {
        leases.remove(later.ackId);
        release(later);
        key.unacked--;
      }
      later.state = RETURNED;
      key.waiting.addFirst(later.pending);
    }
    run.subList(lease.runIndex, run.size()).clear();
    if (key.unacked == 0) {
      run.clear();
      key.queued = true;
      readyKeys.addFirst(key);
    }
  }

  private boolean finishRun(KeyState key) {
    key.run.clear();
    if (key.waiting.isEmpty()) {
      keys.remove(key.key);
      return false;
    }
    key.queued = true;
    readyKeys.addLast(key);
    return true;
  }

  private static boolean release(Lease lease) {
    StreamingPullSession session = lease.session;
    if (session == null) {
      return false;
    }
    session.leasedMessages--;
    session.leasedBytes -= lease.pending.size;
    return true;
  }

  /** A message of this subscription, not yet acknowledged. */
  private static final class Pending {
    final PubsubMessage message;
    final int size;

    Pending(PubsubMessage message) {
      this.message = message;
      this.size = message.getSerializedSize();
    }
  }

  /** One delivery of a message, identified by its ack id. */
  private static final class Lease {
    final String ackId;
    final Pending pending;
    final @Nullable KeyState key;
    final @Nullable StreamingPullSession session;
    int runIndex;
    long deadline;
    int stamp;
    byte state = LEASED;

    Lease(
        String ackId,
        Pending pending,
        @Nullable KeyState key,
        @Nullable StreamingPullSession session) {
      this.ackId = ackId;
      this.pending = pending;
      this.key = key;
      this.session = session;
    }
  }

  /** A deadline of a lease; stale once the lease is settled or its deadline changed. */
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

  /** The messages of one ordering key: waiting ones, and the run leased out. */
  private static final class KeyState {
    final String key;
    final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    final List<Lease> run = new ArrayList<>();
    int unacked;
    boolean queued;

    KeyState(String key) {
      this.key = key;
    }
  }
}
