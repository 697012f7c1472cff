package io.datis.testkit.pubsub.internal;

import com.google.protobuf.Timestamp;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Topic;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A topic and its subscriptions. Publishing holds the topic's monitor while it numbers the messages
 * and hands them to the log and to each subscription (in-memory work only), so every subscription
 * and the log see one topic's messages in the same order.
 */
final class TopicState {

  private final String name;
  private final Topic config;
  private final TopicLog log;

  // guarded by this; replaced, never modified, so it can be iterated without the monitor
  private List<SubscriptionState> subscriptions = List.of();
  private boolean deleted;

  TopicState(Topic config, TopicLog log) {
    this.name = config.getName();
    this.config = config;
    this.log = log;
  }

  Topic config() {
    return config;
  }

  synchronized List<SubscriptionState> subscriptions() {
    return subscriptions;
  }

  /** Adds a subscription; false if the topic was deleted meanwhile. */
  synchronized boolean add(SubscriptionState subscription) {
    if (deleted) {
      return false;
    }
    List<SubscriptionState> updated = new ArrayList<>(subscriptions);
    updated.add(subscription);
    subscriptions = List.copyOf(updated);
    return true;
  }

  synchronized void remove(SubscriptionState subscription) {
    List<SubscriptionState> updated = new ArrayList<>(subscriptions);
    if (updated.remove(subscription)) {
      subscriptions = List.copyOf(updated);
    }
  }

  /** Marks the topic deleted and returns the subscriptions it had. */
  synchronized List<SubscriptionState> delete() {
    deleted = true;
    List<SubscriptionState> detached = subscriptions;
    subscriptions = List.of();
    return detached;
  }

  PublishResponse publish(List<PubsubMessage> messages, AtomicLong messageIds) {
    Instant now = Instant.now();
    Timestamp publishTime =
        Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
    PublishResponse.Builder response = PublishResponse.newBuilder();
    List<PubsubMessage> stored = new ArrayList<>(messages.size());
    List<SubscriptionState> targets;
    synchronized (this) {
      if (deleted) {
        throw RpcException.notFound(name);
      }
      for (PubsubMessage message : messages) {
        String id = Long.toString(messageIds.incrementAndGet());
        stored.add(message.toBuilder().setMessageId(id).setPublishTime(publishTime).build());
        response.addMessageIds(id);
      }
      log.append(stored);
      targets = subscriptions;
      for (SubscriptionState subscription : targets) {
        subscription.enqueue(stored);
      }
    }
    for (SubscriptionState subscription : targets) {
      subscription.signalConsumers();
    }
    return response.build();
  }
}
