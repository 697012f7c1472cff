package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import io.datis.api.event.ChangeEvent;
import io.datis.testkit.pubsub.DatisMessages;
import java.util.List;
import java.util.Objects;

/**
 * What {@code LocalPubSub}'s methods on topics, subscriptions and messages do with its {@link
 * Broker}: they take a project and ids instead of resource names, and throw the Java exceptions
 * that {@code LocalPubSub} documents instead of RPC errors. Thread-safe, as the broker is.
 *
 * <p>Not supported API: used by {@code LocalPubSub} only.
 */
public final class BrokerAdmin {

  private final Broker broker;

  /** Manages the topics and subscriptions of {@code broker}. */
  public BrokerAdmin(Broker broker) {
    this.broker = broker;
  }

  /** Creates a topic and returns its name. */
  public String createTopic(String project, String topic) {
    String name = Names.topicPath(require(project, "project"), require(topic, "topic"));
    try {
      broker.createTopic(Topic.newBuilder().setName(name).build());
    } catch (RpcException e) {
      throw e.toJavaException();
    }
    return name;
  }

  /** Creates a subscription to a topic of the same project and returns its name. */
  public String createSubscription(
      String project, String subscription, String topic, boolean messageOrdering) {
    String name =
        Names.subscriptionPath(require(project, "project"), require(subscription, "subscription"));
    String topicName = Names.topicPath(project, require(topic, "topic"));
    try {
      broker.createSubscription(
          Subscription.newBuilder()
              .setName(name)
              .setTopic(topicName)
              .setEnableMessageOrdering(messageOrdering)
              .build());
    } catch (RpcException e) {
      throw e.toJavaException();
    }
    return name;
  }

  /** Deletes a topic. */
  public void deleteTopic(String project, String topic) {
    String name = Names.topicPath(require(project, "project"), require(topic, "topic"));
    try {
      broker.deleteTopic(name);
    } catch (RpcException e) {
      throw e.toJavaException();
    }
  }

  /** Deletes a subscription. */
  public void deleteSubscription(String project, String subscription) {
    String name =
        Names.subscriptionPath(require(project, "project"), require(subscription, "subscription"));
    try {
      broker.deleteSubscription(name);
    } catch (RpcException e) {
      throw e.toJavaException();
    }
  }

  /** Every message published to the topic, in the order stored. */
  public List<PubsubMessage> publishedMessages(String project, String topic) {
    return broker.published(Names.topicPath(require(project, "project"), require(topic, "topic")));
  }

  /** Takes up to {@code maxMessages} deliverable messages and acknowledges them. */
  public List<PubsubMessage> pull(String project, String subscription, int maxMessages) {
    String name =
        Names.subscriptionPath(require(project, "project"), require(subscription, "subscription"));
    if (maxMessages <= 0) {
      throw new IllegalArgumentException("maxMessages must be positive, got " + maxMessages);
    }
    try {
      return broker.pullAndAcknowledge(name, maxMessages);
    } catch (RpcException e) {
      throw e.toJavaException();
    }
  }

  /** The change events of the messages published to the topic. */
  public List<ChangeEvent> publishedEvents(String project, String topic) {
    List<PubsubMessage> messages = publishedMessages(project, topic);
    try {
      return DatisMessages.decodeAll(messages);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cannot read the events published to "
              + Names.topicPath(project, topic)
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The change events of up to {@code maxMessages} messages pulled and acknowledged. */
  public List<ChangeEvent> pullEvents(String project, String subscription, int maxMessages) {
    List<PubsubMessage> messages = pull(project, subscription, maxMessages);
    try {
      return DatisMessages.decodeAll(messages);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cannot read the events pulled from "
              + Names.subscriptionPath(project, subscription)
              + " (they are acknowledged): "
              + e.getMessage(),
          e);
    }
  }

  /** The number of the subscription's messages not acknowledged yet. */
  public int unacknowledgedCount(String project, String subscription) {
    String name =
        Names.subscriptionPath(require(project, "project"), require(subscription, "subscription"));
    try {
      return broker.unacknowledged(name);
    } catch (RpcException e) {
      throw e.toJavaException();
    }
  }

  private static String require(String value, String name) {
    return Objects.requireNonNull(value, name);
  }
}
