package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.StreamingPullResponse.SubscriptionProperties;
import com.google.pubsub.v1.Subscription;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * One subscription of a local server: its configuration, the consumers attached to it (streaming
 * pull streams and waiting Pull calls), and its {@link Backlog} of unacknowledged messages, from
 * which it leases messages to consumers within their limits.
 *
 * <p>All state is guarded by this object's monitor, held only for in-memory work: callers send
 * responses after releasing it, and call {@link #signalConsumers()} without holding it.
 */
final class SubscriptionState {

  /** The most messages in one response. */
  static final int MAX_PER_RESPONSE = 1000;

  private final String name;
  private final int ackDeadlineSeconds;
  private final SubscriptionProperties properties;
  private final List<Consumer> consumers = new CopyOnWriteArrayList<>();
  private volatile Subscription config;

  // guarded by this
  private boolean deleted;
  private final Backlog backlog;

  SubscriptionState(Subscription config, long serial) {
    this.name = config.getName();
    this.config = config;
    this.ackDeadlineSeconds = config.getAckDeadlineSeconds();
    this.backlog = new Backlog(config.getEnableMessageOrdering(), Long.toString(serial, 36) + "-");
    this.properties =
        SubscriptionProperties.newBuilder()
            .setMessageOrderingEnabled(config.getEnableMessageOrdering())
            .build();
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
      backlog.clear();
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
    backlog.add(messages);
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
    if (deleted) {
      return List.of();
    }
    return backlog.take(session, max, byteBudget, deadlineSeconds);
  }

  /**
   * Acknowledges leases; unknown and expired ack ids are ignored, as by the real service.
   *
   * @return whether messages may have become deliverable, so consumers should be signalled
   */
  synchronized boolean acknowledge(List<String> ackIds) {
    return backlog.acknowledge(ackIds);
  }

  /**
   * Sets the deadline of leases to {@code seconds} from now; 0 returns them for redelivery at once.
   *
   * @return whether messages may have become deliverable, so consumers should be signalled
   */
  synchronized boolean modifyAckDeadline(List<String> ackIds, int seconds) {
    return backlog.modifyAckDeadline(ackIds, seconds);
  }

  /**
   * Returns the leases whose deadline has passed for redelivery.
   *
   * @return whether any was returned, so consumers should be signalled
   */
  synchronized boolean expireDue(long nowNanos) {
    return backlog.expireDue(nowNanos);
  }

  /** The number of messages not yet acknowledged: waiting or leased. */
  synchronized int unacknowledged() {
    return backlog.size();
  }
}
