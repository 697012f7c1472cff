package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.ListSubscriptionsRequest;
import com.google.pubsub.v1.ListSubscriptionsResponse;
import com.google.pubsub.v1.ListTopicSubscriptionsRequest;
import com.google.pubsub.v1.ListTopicSubscriptionsResponse;
import com.google.pubsub.v1.ListTopicsRequest;
import com.google.pubsub.v1.ListTopicsResponse;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * All topics and subscriptions of one local server, in every project. Thread-safe without a global
 * lock: topics and subscriptions each guard their own state.
 */
public final class Broker {

  private static final int MIN_ACK_DEADLINE_SECONDS = 10;
  private static final int MAX_ACK_DEADLINE_SECONDS = 600;

  private final Map<String, TopicState> topics = new ConcurrentHashMap<>();
  private final Map<String, SubscriptionState> subscriptions = new ConcurrentHashMap<>();
  private final Map<String, TopicLog> logs = new ConcurrentHashMap<>();
  private final AtomicLong messageIds = new AtomicLong();
  private final AtomicLong subscriptionSerials = new AtomicLong();

  public Topic createTopic(Topic request) {
    String name = Names.checkTopic(request.getName());
    if (request.hasSchemaSettings()) {
      throw RpcException.unimplemented("schemas (Topic.schema_settings)");
    }
    Topic config = request.toBuilder().setState(Topic.State.ACTIVE).build();
    TopicState topic = new TopicState(config, logs.computeIfAbsent(name, n -> new TopicLog()));
    if (topics.putIfAbsent(name, topic) != null) {
      throw RpcException.alreadyExists(name);
    }
    return config;
  }

  public Topic getTopic(String name) {
    return topic(name).config();
  }

  public void deleteTopic(String name) {
    Names.checkTopic(name);
    TopicState topic = topics.remove(name);
    if (topic == null) {
      throw RpcException.notFound(name);
    }
    for (SubscriptionState subscription : topic.delete()) {
      subscription.topicDeleted();
    }
  }

  public ListTopicsResponse listTopics(ListTopicsRequest request) {
    String prefix = Names.checkProject(request.getProject()) + "/topics/";
    List<String> page = new ArrayList<>();
    String next =
        page(topics.keySet(), prefix, request.getPageSize(), request.getPageToken(), page);
    ListTopicsResponse.Builder response = ListTopicsResponse.newBuilder().setNextPageToken(next);
    for (String name : page) {
      TopicState topic = topics.get(name);
      if (topic != null) {
        response.addTopics(topic.config());
      }
    }
    return response.build();
  }

  public ListTopicSubscriptionsResponse listTopicSubscriptions(
      ListTopicSubscriptionsRequest request) {
    List<String> names = new ArrayList<>();
    for (SubscriptionState subscription : topic(request.getTopic()).subscriptions()) {
      names.add(subscription.name());
    }
    List<String> page = new ArrayList<>();
    String next = page(names, "", request.getPageSize(), request.getPageToken(), page);
    return ListTopicSubscriptionsResponse.newBuilder()
        .addAllSubscriptions(page)
        .setNextPageToken(next)
        .build();
  }

  public Subscription createSubscription(Subscription request) {
    String name = Names.checkSubscription(request.getName());
    String topicName = request.getTopic();
    if (topicName.isEmpty()) {
      throw RpcException.invalidArgument("A subscription needs a topic: set Subscription.topic");
    }
    Names.checkTopic(topicName);
    rejectUnsupported(request);
    int ackDeadline = request.getAckDeadlineSeconds();
    if (ackDeadline == 0) {
      ackDeadline = MIN_ACK_DEADLINE_SECONDS;
    } else if (ackDeadline < MIN_ACK_DEADLINE_SECONDS || ackDeadline > MAX_ACK_DEADLINE_SECONDS) {
      throw RpcException.invalidArgument(
          "Invalid ack_deadline_seconds "
              + ackDeadline
              + ": it must be between 10 and 600, or 0 for the default of 10");
    }
    TopicState topic = topics.get(topicName);
    if (topic == null) {
      throw RpcException.notFound(topicName);
    }
    Subscription config =
        request.toBuilder()
            .setAckDeadlineSeconds(ackDeadline)
            .setState(Subscription.State.ACTIVE)
            .build();
    SubscriptionState subscription =
        new SubscriptionState(config, subscriptionSerials.incrementAndGet());
    if (subscriptions.putIfAbsent(name, subscription) != null) {
      throw RpcException.alreadyExists(name);
    }
    if (!topic.add(subscription)) {
      subscriptions.remove(name, subscription);
      throw RpcException.notFound(topicName);
    }
    return config;
  }

  private static void rejectUnsupported(Subscription request) {
    if (!request.getPushConfig().getPushEndpoint().isEmpty()) {
      throw RpcException.unimplemented("push subscriptions (Subscription.push_config)");
    }
    if (request.hasBigqueryConfig() || request.hasCloudStorageConfig()) {
      throw RpcException.unimplemented("export subscriptions (BigQuery or Cloud Storage)");
    }
    if (!request.getFilter().isEmpty()) {
      throw RpcException.unimplemented("filters (Subscription.filter)");
    }
    if (request.hasDeadLetterPolicy()) {
      throw RpcException.unimplemented("dead-letter topics (Subscription.dead_letter_policy)");
    }
    if (request.getEnableExactlyOnceDelivery()) {
      throw RpcException.unimplemented(
          "exactly-once delivery (Subscription.enable_exactly_once_delivery)");
    }
  }

  public Subscription getSubscription(String name) {
    return subscription(name).config();
  }

  public void deleteSubscription(String name) {
    Names.checkSubscription(name);
    SubscriptionState subscription = subscriptions.remove(name);
    if (subscription == null) {
      throw RpcException.notFound(name);
    }
    TopicState topic = topics.get(subscription.topic());
    if (topic != null) {
      topic.remove(subscription);
    }
    subscription.delete();
  }

  public ListSubscriptionsResponse listSubscriptions(ListSubscriptionsRequest request) {
    String prefix = Names.checkProject(request.getProject()) + "/subscriptions/";
    List<String> page = new ArrayList<>();
    String next =
        page(subscriptions.keySet(), prefix, request.getPageSize(), request.getPageToken(), page);
    ListSubscriptionsResponse.Builder response =
        ListSubscriptionsResponse.newBuilder().setNextPageToken(next);
    for (String name : page) {
      SubscriptionState subscription = subscriptions.get(name);
      if (subscription != null) {
        response.addSubscriptions(subscription.config());
      }
    }
    return response.build();
  }

  public PublishResponse publish(PublishRequest request) {
    TopicState topic = topic(request.getTopic());
    if (request.getMessagesCount() == 0) {
      throw RpcException.invalidArgument("The publish request contains no messages.");
    }
    String orderingKey = request.getMessages(0).getOrderingKey();
    for (PubsubMessage message : request.getMessagesList()) {
      if (!message.getOrderingKey().equals(orderingKey)) {
        // Pub/Sub's rule: one publish request carries one ordering key (or none).
        throw RpcException.invalidArgument(
            "All messages in a publish request must have the same ordering key, but found '"
                + orderingKey
                + "' and '"
                + message.getOrderingKey()
                + "'.");
      }
      if (message.getData().isEmpty() && message.getAttributesCount() == 0) {
        throw RpcException.invalidArgument(
            "Some messages in the publish request are empty. Each message must contain non-empty"
                + " data, or at least one attribute.");
      }
    }
    return topic.publish(request.getMessagesList(), messageIds);
  }

  /** Everything ever published to a topic name, in the order stored. */
  public List<PubsubMessage> published(String topicName) {
    TopicLog log = logs.get(topicName);
    return log == null ? List.of() : log.snapshot();
  }

  /** Leases up to {@code maxMessages} available messages and acknowledges them. */
  public List<PubsubMessage> pullAndAcknowledge(String subscriptionName, int maxMessages) {
    SubscriptionState subscription = subscription(subscriptionName);
    List<ReceivedMessage> taken = subscription.take(maxMessages);
    List<String> ackIds = new ArrayList<>(taken.size());
    List<PubsubMessage> messages = new ArrayList<>(taken.size());
    for (ReceivedMessage received : taken) {
      ackIds.add(received.getAckId());
      messages.add(received.getMessage());
    }
    if (subscription.acknowledge(ackIds)) {
      subscription.signalConsumers();
    }
    return List.copyOf(messages);
  }

  /** The number of messages of a subscription not yet acknowledged. */
  public int unacknowledged(String subscriptionName) {
    return subscription(subscriptionName).unacknowledged();
  }

  /**
   * Deletes every subscription (failing their streams and waiting pulls with NOT_FOUND) and every
   * topic, and forgets what was published.
   */
  public void clear() {
    for (String name : List.copyOf(subscriptions.keySet())) {
      try {
        deleteSubscription(name);
      } catch (RpcException e) {
        // deleted concurrently
      }
    }
    for (String name : List.copyOf(topics.keySet())) {
      try {
        deleteTopic(name);
      } catch (RpcException e) {
        // deleted concurrently
      }
    }
    logs.clear();
  }

  /** Returns expired leases of every subscription for redelivery. */
  public void expireLeases() {
    long now = System.nanoTime();
    for (SubscriptionState subscription : subscriptions.values()) {
      if (subscription.expireDue(now)) {
        subscription.signalConsumers();
      }
    }
  }

  SubscriptionState subscription(String name) {
    SubscriptionState subscription = subscriptions.get(name);
    if (subscription == null) {
      Names.checkSubscription(name);
      throw RpcException.notFound(name);
    }
    return subscription;
  }

  private TopicState topic(String name) {
    TopicState topic = topics.get(name);
    if (topic == null) {
      Names.checkTopic(name);
      throw RpcException.notFound(name);
    }
    return topic;
  }

  /**
   * Fills {@code page} with the names after {@code token} that start with {@code prefix}, in order,
   * at most {@code pageSize} of them (all if 0), and returns the next page token.
   */
  private static String page(
      Iterable<String> names, String prefix, int pageSize, String token, List<String> page) {
    TreeSet<String> sorted = new TreeSet<>();
    for (String name : names) {
      if (name.startsWith(prefix) && name.compareTo(token) > 0) {
        sorted.add(name);
      }
    }
    int limit = pageSize > 0 ? pageSize : Integer.MAX_VALUE;
    for (String name : sorted) {
      if (page.size() == limit) {
        return page.get(page.size() - 1);
      }
      page.add(name);
    }
    return "";
  }
}
