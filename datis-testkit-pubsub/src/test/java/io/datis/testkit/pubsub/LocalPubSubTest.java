package io.datis.testkit.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiService;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.FailedPreconditionException;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.api.gax.rpc.PermissionDeniedException;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.ProjectName;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublisherGrpc;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.PushConfig;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.StreamingPullRequest;
import com.google.pubsub.v1.StreamingPullResponse;
import com.google.pubsub.v1.SubscriberGrpc;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** LocalPubSub as the official Java client sees it, over gRPC. */
class LocalPubSubTest {

  private static final String PROJECT = "proj";
  private static final AtomicInteger NAMES = new AtomicInteger();

  @RegisterExtension static LocalPubSub pubsub = LocalPubSub.create();

  private static ManagedChannel channel;
  private static TransportChannelProvider channels;
  private static TopicAdminClient topicAdmin;
  private static SubscriptionAdminClient subscriptionAdmin;

  private final List<Publisher> publishers = new ArrayList<>();
  private final List<Subscriber> subscribers = new ArrayList<>();

  @BeforeAll
  static void connect() throws IOException {
    channel = ManagedChannelBuilder.forTarget(pubsub.hostPort()).usePlaintext().build();
    channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    topicAdmin =
        TopicAdminClient.create(
            TopicAdminSettings.newBuilder()
                .setTransportChannelProvider(channels)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
    subscriptionAdmin =
        SubscriptionAdminClient.create(
            SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channels)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    topicAdmin.close();
    subscriptionAdmin.close();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void closeClientsAndClearFaults() throws InterruptedException {
    for (Subscriber subscriber : subscribers) {
      subscriber.stopAsync();
    }
    for (Subscriber subscriber : subscribers) {
      try {
        subscriber.awaitTerminated(10, TimeUnit.SECONDS);
      } catch (IllegalStateException | java.util.concurrent.TimeoutException e) {
        // failed subscribers are part of some tests
      }
    }
    for (Publisher publisher : publishers) {
      publisher.shutdown();
      publisher.awaitTermination(10, TimeUnit.SECONDS);
    }
    pubsub.clearFaults();
  }

  @Nested
  class Administration {

    @Test
    void createsGetsListsAndDeletesTopics() {
      String id = unique("topic");
      String name = "projects/proj/topics/" + id;

      Topic created = topicAdmin.createTopic(name);

      assertThat(created.getName()).isEqualTo(name);
      assertThat(topicAdmin.getTopic(name).getName()).isEqualTo(name);
      assertThat(topicAdmin.listTopics(ProjectName.of(PROJECT)).iterateAll())
          .extracting(Topic::getName)
          .contains(name)
          .allMatch(topic -> topic.startsWith("projects/proj/topics/"));

      topicAdmin.deleteTopic(name);

      assertThatThrownBy(() -> topicAdmin.getTopic(name))
          .isInstanceOf(NotFoundException.class)
          .hasMessageEndingWith("NOT_FOUND: Resource not found (resource=" + id + ").");
    }

    @Test
    void reportsExistingAndMissingTopicsAsTheRealServiceDoes() {
      String name = "projects/proj/topics/" + unique("twice");
      topicAdmin.createTopic(name);

      assertThatThrownBy(() -> topicAdmin.createTopic(name))
          .isInstanceOf(AlreadyExistsException.class)
          .hasMessageContaining("ALREADY_EXISTS: Resource already exists in the project");
      assertThatThrownBy(() -> topicAdmin.deleteTopic("projects/proj/topics/never-created"))
          .isInstanceOf(NotFoundException.class)
          .hasMessageEndingWith("NOT_FOUND: Resource not found (resource=never-created).");
    }

    @Test
    void listsTopicsPerProjectAcrossPages() {
      String project = unique("paging");
      for (int i = 0; i < 5; i++) {
        pubsub.createTopic(project, "topic-" + i);
      }
      pubsub.createTopic(unique("other"), "topic-0");

      List<String> names = new ArrayList<>();
      topicAdmin
          .listTopics(
              com.google.pubsub.v1.ListTopicsRequest.newBuilder()
                  .setProject("projects/" + project)
                  .setPageSize(2)
                  .build())
          .iterateAll()
          .forEach(topic -> names.add(topic.getName()));

      assertThat(names)
          .containsExactly(
              IntStream.range(0, 5)
                  .mapToObj(i -> "projects/" + project + "/topics/topic-" + i)
                  .toArray(String[]::new));
    }

    @Test
    void rejectsInvalidResourceNames() {
      assertThatThrownBy(() -> topicAdmin.createTopic("projects/proj/topics/1-starts-with-digit"))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageEndingWith(
              "INVALID_ARGUMENT: Invalid [topics] name:"
                  + " (name=projects/proj/topics/1-starts-with-digit)");
      assertThatThrownBy(() -> topicAdmin.createTopic("projects/proj/topics/google-reserved"))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> topicAdmin.createTopic("projects/proj/subscriptions/wrong-kind"))
          .isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> subscriptionAdmin.getSubscription("proj/subscriptions/abc"))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageEndingWith(
              "INVALID_ARGUMENT: Invalid [subscriptions] name: (name=proj/subscriptions/abc)");
    }

    @Test
    void createsGetsListsAndDeletesSubscriptions() {
      String topic = pubsub.createTopic(PROJECT, unique("topic"));
      String name = "projects/proj/subscriptions/" + unique("sub");

      Subscription created =
          subscriptionAdmin.createSubscription(
              Subscription.newBuilder()
                  .setName(name)
                  .setTopic(topic)
                  .setEnableMessageOrdering(true)
                  .build());

      assertThat(created.getAckDeadlineSeconds()).isEqualTo(10);
      Subscription fetched = subscriptionAdmin.getSubscription(name);
      assertThat(fetched.getTopic()).isEqualTo(topic);
      assertThat(fetched.getEnableMessageOrdering()).isTrue();
      assertThat(fetched.getAckDeadlineSeconds()).isEqualTo(10);
      assertThat(topicAdmin.listTopicSubscriptions(topic).iterateAll()).containsExactly(name);
      assertThat(subscriptionAdmin.listSubscriptions(ProjectName.of(PROJECT)).iterateAll())
          .extracting(Subscription::getName)
          .contains(name);

      subscriptionAdmin.deleteSubscription(name);

      assertThatThrownBy(() -> subscriptionAdmin.getSubscription(name))
          .isInstanceOf(NotFoundException.class);
      assertThat(topicAdmin.listTopicSubscriptions(topic).iterateAll()).isEmpty();
    }

    @Test
    void refusesSubscriptionsToMissingTopicsAndDuplicates() {
      String topic = pubsub.createTopic(PROJECT, unique("topic"));
      String name = "projects/proj/subscriptions/" + unique("sub");
      subscriptionAdmin.createSubscription(name, topic, PushConfig.getDefaultInstance(), 20);

      assertThatThrownBy(
              () ->
                  subscriptionAdmin.createSubscription(
                      name, topic, PushConfig.getDefaultInstance(), 20))
          .isInstanceOf(AlreadyExistsException.class);
      assertThatThrownBy(
              () ->
                  subscriptionAdmin.createSubscription(
                      "projects/proj/subscriptions/" + unique("orphan"),
                      "projects/proj/topics/no-such-topic",
                      PushConfig.getDefaultInstance(),
                      10))
          .isInstanceOf(NotFoundException.class)
          .hasMessageEndingWith("NOT_FOUND: Resource not found (resource=no-such-topic).");
      assertThatThrownBy(
              () ->
                  subscriptionAdmin.createSubscription(
                      "projects/proj/subscriptions/" + unique("slow"),
                      topic,
                      PushConfig.getDefaultInstance(),
                      601))
          .isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("ack_deadline_seconds 601");
    }

    @Test
    void keepsSubscriptionsAndTheirMessagesWhenTheTopicIsDeleted() {
      String topicId = unique("topic");
      String subscriptionId = unique("sub");
      pubsub.createTopic(PROJECT, topicId);
      String subscription = pubsub.createSubscription(PROJECT, subscriptionId, topicId, false);
      publish(publisher(topicId, false), message("before deletion", ""));

      pubsub.deleteTopic(PROJECT, topicId);

      assertThat(subscriptionAdmin.getSubscription(subscription).getTopic())
          .isEqualTo("_deleted-topic_");
      assertThat(pubsub.pull(PROJECT, subscriptionId, 10))
          .extracting(m -> m.getData().toStringUtf8())
          .containsExactly("before deletion");
      assertThat(pubsub.publishedMessages(PROJECT, topicId)).hasSize(1);
    }

    @Test
    void javaMethodsReportMisuseWithTheFix() {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);

      assertThatThrownBy(() -> pubsub.createTopic(PROJECT, topic))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("Resource already exists in the project (resource=" + topic + ").");
      assertThatThrownBy(() -> pubsub.createSubscription(PROJECT, unique("sub"), "missing", false))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("Resource not found (resource=missing).");
      assertThatThrownBy(() -> pubsub.createTopic(PROJECT, "ab"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "The topic id 'ab' is invalid: Pub/Sub ids start with a letter, are 3 to 255"
                  + " characters of letters, digits and - _ . ~ + %, and do not start with 'goog'");
      assertThatThrownBy(() -> pubsub.failNextPublishes(1, Status.Code.OK))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "OK is not a failure: pass an error code such as UNAVAILABLE or PERMISSION_DENIED");
      assertThatThrownBy(() -> pubsub.pull(PROJECT, "no-such-sub", 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("Resource not found (resource=no-such-sub).");
    }
  }

  @Nested
  class Delivery {

    @Test
    void deliversPublishedMessagesToAStreamingSubscriber() throws Exception {
      String topic = unique("topic");
      String subscription = unique("sub");
      pubsub.createTopic(PROJECT, topic);
      pubsub.createSubscription(PROJECT, subscription, topic, false);
      Publisher publisher = publisher(topic, false);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        ids.add(
            publisher
                .publish(message("m" + i, "").toBuilder().putAttributes("index", "" + i).build())
                .get(10, TimeUnit.SECONDS));
      }
      Map<String, PubsubMessage> received = new ConcurrentHashMap<>();

      subscribe(
          subscription,
          (message, reply) -> {
            received.put(message.getMessageId(), message);
            reply.ack();
          });

      await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 200);
      List<PubsubMessage> published = pubsub.publishedMessages(PROJECT, topic);
      assertThat(published).extracting(PubsubMessage::getMessageId).containsExactlyElementsOf(ids);
      assertThat(ids).doesNotHaveDuplicates();
      assertThat(ids.stream().map(Long::parseLong).collect(Collectors.toList())).isSorted();
      for (PubsubMessage message : published) {
        assertThat(message.getPublishTime().getSeconds()).isPositive();
        assertThat(received.get(message.getMessageId())).isEqualTo(message);
      }
      await()
          .untilAsserted(
              () -> assertThat(pubsub.unacknowledgedCount(PROJECT, subscription)).isZero());
    }

    @Test
    void splitsLargeMessagesOverResponsesTheClientAccepts() {
      String topic = unique("topic");
      String subscription = unique("sub");
      pubsub.createTopic(PROJECT, topic);
      pubsub.createSubscription(PROJECT, subscription, topic, false);
      Publisher publisher = publisher(topic, false);
      ByteString megabyte = ByteString.copyFrom(new byte[1024 * 1024]);
      List<ApiFuture<String>> futures = new ArrayList<>();
      for (int i = 0; i < 25; i++) {
        futures.add(publisher.publish(PubsubMessage.newBuilder().setData(megabyte).build()));
      }
      AtomicInteger received = new AtomicInteger();

      subscribe(
          subscription,
          (message, reply) -> {
            received.incrementAndGet();
            reply.ack();
          });

      await().atMost(Duration.ofSeconds(15)).until(() -> received.get() == 25);
      assertThat(futures).allMatch(ApiFuture::isDone);
    }

    @Test
    void deliversEachMessageToEverySubscriptionThatExistedWhenItWasPublished() {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      pubsub.createSubscription(PROJECT, "first-" + topic, topic, false);
      Publisher publisher = publisher(topic, false);
      publish(publisher, message("one", ""));
      pubsub.createSubscription(PROJECT, "second-" + topic, topic, false);
      publish(publisher, message("two", ""));

      assertThat(pubsub.pull(PROJECT, "first-" + topic, 10))
          .extracting(m -> m.getData().toStringUtf8())
          .containsExactly("one", "two");
      assertThat(pubsub.pull(PROJECT, "second-" + topic, 10))
          .extracting(m -> m.getData().toStringUtf8())
          .containsExactly("two");
    }

    @Test
    void synchronousPullDeliversUntilAcknowledged() {
      String topic = unique("topic");
      String subscription = unique("sub");
      pubsub.createTopic(PROJECT, topic);
      String name = pubsub.createSubscription(PROJECT, subscription, topic, false);
      Publisher publisher = publisher(topic, false);
      publish(publisher, message("a", ""));
      publish(publisher, message("b", ""));

      PullResponse response = subscriptionAdmin.pull(name, 10);

      assertThat(response.getReceivedMessagesList())
          .extracting(m -> m.getMessage().getData().toStringUtf8())
          .containsExactly("a", "b");
      assertThat(pubsub.unacknowledgedCount(PROJECT, subscription)).isEqualTo(2);
      subscriptionAdmin.acknowledge(
          name,
          response.getReceivedMessagesList().stream()
              .map(ReceivedMessage::getAckId)
              .collect(Collectors.toList()));
      assertThat(pubsub.unacknowledgedCount(PROJECT, subscription)).isZero();
    }

    @Test
    void pullWaitsForAMessageWhenNoneIsAvailable() throws Exception {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      String name = pubsub.createSubscription(PROJECT, unique("sub"), topic, false);

      ApiFuture<PullResponse> pull =
          subscriptionAdmin
              .pullCallable()
              .futureCall(PullRequest.newBuilder().setSubscription(name).setMaxMessages(5).build());
      // Nothing to pull: the call stays open (a slower machine only keeps it open longer).
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(5))
          .until(() -> !pull.isDone());
      publish(publisher(topic, false), message("late", ""));

      assertThat(pull.get(5, TimeUnit.SECONDS).getReceivedMessagesList())
          .extracting(m -> m.getMessage().getData().toStringUtf8())
          .containsExactly("late");
    }

    @Test
    void redeliversAMessageWhoseAckDeadlineExpires() {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      String name = pubsub.createSubscription(PROJECT, unique("sub"), topic, false);
      String id = publish(publisher(topic, false), message("forgotten", ""));

      ReceivedMessage first = subscriptionAdmin.pull(name, 10).getReceivedMessages(0);
      subscriptionAdmin.modifyAckDeadline(name, List.of(first.getAckId()), 1);
      long start = System.nanoTime();
      ReceivedMessage second = subscriptionAdmin.pull(name, 10).getReceivedMessages(0);

      // Not before its 1 s deadline has (nearly) passed; how much later depends on the machine.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(700));
      assertThat(second.getMessage().getMessageId())
          .isEqualTo(id)
          .isEqualTo(first.getMessage().getMessageId());
      assertThat(second.getAckId()).isNotEqualTo(first.getAckId());
    }

    @Test
    void redeliversANackedMessageToTheStreamingSubscriber() {
      String topic = unique("topic");
      String subscription = unique("sub");
      pubsub.createTopic(PROJECT, topic);
      pubsub.createSubscription(PROJECT, subscription, topic, false);
      String id = publish(publisher(topic, false), message("retry me", ""));
      List<String> deliveries = Collections.synchronizedList(new ArrayList<>());

      subscribe(
          subscription,
          (message, reply) -> {
            deliveries.add(message.getMessageId());
            if (deliveries.size() == 1) {
              reply.nack();
            } else {
              reply.ack();
            }
          });

      await().atMost(Duration.ofSeconds(10)).until(() -> deliveries.size() >= 2);
      assertThat(deliveries).startsWith(id, id);
      await()
          .untilAsserted(
              () -> assertThat(pubsub.unacknowledgedCount(PROJECT, subscription)).isZero());
    }

    @Test
    void streamingPullAcceptsAcksAndNacksOnTheStreamItself() throws Exception {
      String topic = unique("topic");
      String subscription = unique("sub");
      pubsub.createTopic(PROJECT, topic);
      String name = pubsub.createSubscription(PROJECT, subscription, topic, false);
      String id = publish(publisher(topic, false), message("raw", ""));
      BlockingQueue<StreamingPullResponse> responses = new LinkedBlockingQueue<>();
      BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
      StreamObserver<StreamingPullResponse> observer =
          new StreamObserver<>() {
            @Override
            public void onNext(StreamingPullResponse response) {
              responses.add(response);
            }

            @Override
            public void onError(Throwable t) {
              errors.add(t);
            }

            @Override
            public void onCompleted() {}
          };
      StreamObserver<StreamingPullRequest> stream =
          SubscriberGrpc.newStub(channel).streamingPull(observer);

      stream.onNext(
          StreamingPullRequest.newBuilder()
              .setSubscription(name)
              .setStreamAckDeadlineSeconds(10)
              .build());
      ReceivedMessage first = responses.poll(5, TimeUnit.SECONDS).getReceivedMessages(0);
      stream.onNext(
          StreamingPullRequest.newBuilder()
              .addModifyDeadlineAckIds(first.getAckId())
              .addModifyDeadlineSeconds(0)
              .build());
      ReceivedMessage second = responses.poll(5, TimeUnit.SECONDS).getReceivedMessages(0);
      stream.onNext(StreamingPullRequest.newBuilder().addAckIds(second.getAckId()).build());

      assertThat(first.getMessage().getMessageId()).isEqualTo(id);
      assertThat(second.getMessage().getMessageId()).isEqualTo(id);
      await().until(() -> pubsub.unacknowledgedCount(PROJECT, subscription) == 0);
      stream.onCompleted();
      assertThat(errors).isEmpty();

      StreamObserver<StreamingPullRequest> invalid =
          SubscriberGrpc.newStub(channel).streamingPull(observer);
      invalid.onNext(StreamingPullRequest.newBuilder().setSubscription(name).build());
      assertThat(errors.poll(5, TimeUnit.SECONDS))
          .isInstanceOf(StatusRuntimeException.class)
          .hasMessage(
              "INVALID_ARGUMENT: Invalid stream_ack_deadline_seconds 0: the first"
                  + " StreamingPullRequest must set it between 10 and 600");
    }

    @Test
    void deletingASubscriptionFailsItsSubscriberWithNotFound() {
      String topic = unique("topic");
      String subscription = unique("sub");
      pubsub.createTopic(PROJECT, topic);
      pubsub.createSubscription(PROJECT, subscription, topic, false);
      Subscriber subscriber = subscribe(subscription, (message, reply) -> reply.ack());

      pubsub.deleteSubscription(PROJECT, subscription);

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> subscriber.state() == ApiService.State.FAILED);
      assertThat(subscriber.failureCause()).isInstanceOf(NotFoundException.class);
    }

    @Test
    void publishingToAMissingTopicFailsWithNotFound() {
      Publisher publisher = publisher("never-created", false);
      ApiFuture<String> future = publisher.publish(message("lost", ""));

      assertThatThrownBy(() -> future.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(NotFoundException.class)
          .hasMessageEndingWith("NOT_FOUND: Resource not found (resource=never-created).");
    }

    @Test
    void aPublishRequestMixingOrderingKeysIsRejectedAsPubSubDoes() {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      PublishRequest mixed =
          PublishRequest.newBuilder()
              .setTopic("projects/" + PROJECT + "/topics/" + topic)
              .addMessages(message("one", "key-1"))
              .addMessages(message("two", "key-2"))
              .build();

      assertThatThrownBy(() -> PublisherGrpc.newBlockingStub(channel).publish(mixed))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT))
          .hasMessageContaining("same ordering key");
      assertThat(pubsub.publishedMessages(PROJECT, topic)).isEmpty();
    }
  }

  @Nested
  class Ordering {

    @Test
    void deliversEachOrderingKeysMessagesInPublishOrder() {
      String topic = unique("topic");
      String subscription = unique("sub");
      pubsub.createTopic(PROJECT, topic);
      pubsub.createSubscription(PROJECT, subscription, topic, true);
      Publisher publisher = publisher(topic, true);
      int keys = 100;
      int perKey = 30;
      Map<String, List<Integer>> received = new ConcurrentHashMap<>();
      Set<String> busyKeys = ConcurrentHashMap.newKeySet();
      AtomicInteger overlaps = new AtomicInteger();
      subscribe(
          subscription,
          (message, reply) -> {
            String key = message.getOrderingKey();
            if (!busyKeys.add(key)) {
              overlaps.incrementAndGet();
            }
            received
                .computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>()))
                .add(Integer.parseInt(message.getData().toStringUtf8()));
            busyKeys.remove(key);
            reply.ack();
          });

      List<ApiFuture<String>> futures = new ArrayList<>();
      for (int i = 0; i < perKey; i++) {
        for (int k = 0; k < keys; k++) {
          futures.add(publisher.publish(message(Integer.toString(i), "key-" + k)));
        }
      }

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> received.values().stream().mapToInt(List::size).sum() >= keys * perKey);
      assertThat(futures).allMatch(ApiFuture::isDone);
      List<Integer> expected = IntStream.range(0, perKey).boxed().collect(Collectors.toList());
      assertThat(received).hasSize(keys);
      received.forEach((key, values) -> assertThat(values).as(key).isEqualTo(expected));
      assertThat(overlaps).hasValue(0);
    }

    @Test
    void holdsBackAKeysLaterMessagesWhileEarlierOnesAreUnacknowledged() {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      String name = pubsub.createSubscription(PROJECT, unique("sub"), topic, true);
      Publisher publisher = publisher(topic, true);
      publish(publisher, message("a1", "a"));
      publish(publisher, message("a2", "a"));

      List<ReceivedMessage> first = subscriptionAdmin.pull(name, 10).getReceivedMessagesList();
      publish(publisher, message("a3", "a"));
      publish(publisher, message("unkeyed", ""));
      List<ReceivedMessage> second = subscriptionAdmin.pull(name, 10).getReceivedMessagesList();
      subscriptionAdmin.acknowledge(
          name, first.stream().map(ReceivedMessage::getAckId).collect(Collectors.toList()));
      List<ReceivedMessage> third = subscriptionAdmin.pull(name, 10).getReceivedMessagesList();

      assertThat(first)
          .extracting(m -> m.getMessage().getData().toStringUtf8())
          .containsExactly("a1", "a2");
      assertThat(second)
          .extracting(m -> m.getMessage().getData().toStringUtf8())
          .containsExactly("unkeyed");
      assertThat(third)
          .extracting(m -> m.getMessage().getData().toStringUtf8())
          .containsExactly("a3");
    }

    @Test
    void redeliversANackedMessageAndTheKeysLaterMessagesInOrder() {
      String topic = unique("topic");
      String subscription = unique("sub");
      pubsub.createTopic(PROJECT, topic);
      pubsub.createSubscription(PROJECT, subscription, topic, true);
      Publisher publisher = publisher(topic, true);
      for (int i = 0; i < 5; i++) {
        publish(publisher, message(Integer.toString(i), "k"));
      }
      List<String> deliveries = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger nacks = new AtomicInteger();

      subscribe(
          subscription,
          (message, reply) -> {
            String data = message.getData().toStringUtf8();
            deliveries.add(data);
            if (data.equals("1") && nacks.getAndIncrement() == 0) {
              reply.nack();
            } else {
              reply.ack();
            }
          });

      await().atMost(Duration.ofSeconds(10)).until(() -> deliveries.size() >= 9);
      assertThat(deliveries).containsExactly("0", "1", "2", "3", "4", "1", "2", "3", "4");
      await()
          .untilAsserted(
              () -> assertThat(pubsub.unacknowledgedCount(PROJECT, subscription)).isZero());
    }
  }

  @Nested
  class FaultInjection {

    @Test
    void theOrderingKeyThroughputLimitRefusesAKeyOverItsRateAndNoOtherKey() {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      PublisherGrpc.PublisherBlockingStub stub = PublisherGrpc.newBlockingStub(channel);
      String path = "projects/" + PROJECT + "/topics/" + topic;
      PublishRequest hot =
          PublishRequest.newBuilder()
              .setTopic(path)
              .addMessages(message("x".repeat(50_000), "hot"))
              .build();
      long charge = (hot.getSerializedSize() + 999) / 1000 * 1000;
      long limit = 200_000;
      long refusedBefore = pubsub.publishRequestsOverOrderingKeyLimit();
      pubsub.limitOrderingKeyThroughput(limit);
      try {
        long accepted = 0;
        long refused = 0;
        long start = System.nanoTime();
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1500)) {
          try {
            stub.publish(hot);
            accepted++;
          } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getStatus().getDescription())
                .contains("ordering key \"hot\"", "more ordering keys");
            refused++;
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(refused).isPositive();
        assertThat(accepted * charge)
            .as("a full bucket at first, then the rate; the last request may overdraw")
            .isGreaterThanOrEqualTo(limit)
            .isLessThanOrEqualTo((long) (limit * (1 + seconds)) + charge);
        assertThat(pubsub.publishRequestsOverOrderingKeyLimit() - refusedBefore).isEqualTo(refused);
        stub.publish(
            PublishRequest.newBuilder().setTopic(path).addMessages(message("a", "cold")).build());
        for (int i = 0; i < 10; i++) {
          stub.publish(
              PublishRequest.newBuilder()
                  .setTopic(path)
                  .addMessages(message("x".repeat(50_000), ""))
                  .build());
        }
        assertThat(pubsub.publishedMessages(PROJECT, topic)).hasSize((int) accepted + 1 + 10);
      } finally {
        pubsub.limitOrderingKeyThroughput(0);
      }
    }

    @Test
    void theClientRetriesThroughFailNextPublishes() throws Exception {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      Publisher publisher = retryingPublisher(topic, false);
      long received = pubsub.publishRequests();
      long failed = pubsub.failedPublishRequests();

      pubsub.failNextPublishes(3, Status.Code.UNAVAILABLE);
      String id = publisher.publish(message("persistent", "")).get(10, TimeUnit.SECONDS);

      assertThat(pubsub.publishRequests() - received).isEqualTo(4);
      assertThat(pubsub.failedPublishRequests() - failed).isEqualTo(3);
      assertThat(pubsub.publishedMessages(PROJECT, topic))
          .extracting(PubsubMessage::getMessageId)
          .containsExactly(id);
    }

    @Test
    void aNonRetryableInjectedFailureFailsThePublishFuture() throws Exception {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      Publisher publisher = retryingPublisher(topic, false);

      pubsub.failNextPublishes(1, Status.Code.PERMISSION_DENIED);
      ApiFuture<String> failed = publisher.publish(message("denied", ""));

      assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(PermissionDeniedException.class)
          .hasMessageEndingWith(
              "PERMISSION_DENIED: Injected by LocalPubSub: failNextPublishes(1,"
                  + " PERMISSION_DENIED), 0 more to fail");
      publisher.publish(message("allowed", "")).get(10, TimeUnit.SECONDS);
      assertThat(pubsub.publishedMessages(PROJECT, topic))
          .extracting(m -> m.getData().toStringUtf8())
          .containsExactly("allowed");
    }

    @Test
    void failPublishesForFailsEveryPublishUntilItEnds() throws Exception {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      Publisher publisher = retryingPublisher(topic, false);
      publish(publisher, message("before the outage", ""));
      long failedBefore = pubsub.failedPublishRequests();

      long start = System.nanoTime();
      pubsub.failPublishesFor(Duration.ofSeconds(1), Status.Code.UNAVAILABLE);
      publisher.publish(message("after the outage", "")).get(10, TimeUnit.SECONDS);

      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(900));
      assertThat(pubsub.failedPublishRequests() - failedBefore).isGreaterThanOrEqualTo(2);
      assertThat(pubsub.publishedMessages(PROJECT, topic)).hasSize(2);
    }

    @Test
    void publishLatencyDelaysTheResponseButNotTheMessage() throws Exception {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      Publisher publisher = retryingPublisher(topic, false);

      pubsub.publishLatency(Duration.ofMillis(800));
      long start = System.nanoTime();
      ApiFuture<String> future = publisher.publish(message("slow", ""));

      await().until(() -> pubsub.publishedMessages(PROJECT, topic).size() == 1);
      assertThat(future.isDone()).isFalse();
      future.get(10, TimeUnit.SECONDS);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(750));

      // Cleared, a latency far longer than the wait below no longer applies.
      pubsub.publishLatency(Duration.ofSeconds(60));
      pubsub.clearFaults();
      publisher.publish(message("fast", "")).get(20, TimeUnit.SECONDS);
    }

    @Test
    void aRejectedOrderingKeyPausesThatKeyInThePublisherUntilResumed() throws Exception {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      Publisher publisher = retryingPublisher(topic, true);

      pubsub.rejectOrderingKey("blocked", Status.Code.FAILED_PRECONDITION);
      ApiFuture<String> rejected = publisher.publish(message("first", "blocked"));

      assertThatThrownBy(() -> rejected.get(10, TimeUnit.SECONDS))
          .cause()
          .isInstanceOf(FailedPreconditionException.class)
          .hasMessageContaining("Injected by LocalPubSub: rejectOrderingKey(\"blocked\"");
      publisher.publish(message("other key", "free")).get(10, TimeUnit.SECONDS);

      pubsub.acceptOrderingKey("blocked");
      long requests = pubsub.publishRequests();
      ApiFuture<String> paused = publisher.publish(message("second", "blocked"));
      assertThatThrownBy(() -> paused.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class);
      assertThat(pubsub.publishRequests()).isEqualTo(requests);

      publisher.resumePublish("blocked");
      publisher.publish(message("third", "blocked")).get(10, TimeUnit.SECONDS);
      assertThat(pubsub.publishedMessages(PROJECT, topic))
          .extracting(m -> m.getData().toStringUtf8())
          .containsExactly("other key", "third");
    }

    @Test
    void clearFaultsLetsPublishesThroughAgain() throws Exception {
      String topic = unique("topic");
      pubsub.createTopic(PROJECT, topic);
      Publisher publisher = retryingPublisher(topic, false);
      pubsub
          .failNextPublishes(100, Status.Code.INVALID_ARGUMENT)
          .failPublishesFor(Duration.ofMinutes(1), Status.Code.INVALID_ARGUMENT)
          .rejectOrderingKey("k", Status.Code.INVALID_ARGUMENT)
          .publishLatency(Duration.ofSeconds(3));

      pubsub.clearFaults();

      publisher.publish(message("through", "")).get(2, TimeUnit.SECONDS);
    }
  }

  @Nested
  class Lifecycle {

    @Test
    void listensOnLoopbackOnAFreePort() {
      assertThat(pubsub.isRunning()).isTrue();
      assertThat(pubsub.host()).isEqualTo("127.0.0.1");
      assertThat(pubsub.hostPort()).isEqualTo("127.0.0.1:" + pubsub.port());
      assertThat(pubsub.toString()).isEqualTo("LocalPubSub{127.0.0.1:" + pubsub.port() + "}");
    }

    @Test
    void closeStopsPromptlyWithAStreamingSubscriberConnected() throws Exception {
      LocalPubSub other = LocalPubSub.create().start();
      ManagedChannel otherChannel =
          ManagedChannelBuilder.forTarget(other.hostPort()).usePlaintext().build();
      try {
        other.createTopic(PROJECT, "topic");
        String subscription = other.createSubscription(PROJECT, "sub", "topic", false);
        Subscriber subscriber =
            Subscriber.newBuilder(subscription, (MessageReceiver) (message, reply) -> reply.ack())
                .setChannelProvider(
                    FixedTransportChannelProvider.create(GrpcTransportChannel.create(otherChannel)))
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build();
        subscriber.startAsync().awaitRunning();
        subscribers.add(subscriber);

        // A streaming pull must not keep the server from stopping (it would hang, not slow down).
        assertTimeoutPreemptively(Duration.ofSeconds(30), other::close);

        assertThat(other.isRunning()).isFalse();
        assertThatThrownBy(other::port)
            .isInstanceOf(IllegalStateException.class)
            .hasMessage(
                "LocalPubSub is not running: call start(), or register it with"
                    + " @RegisterExtension on a static field");
        assertThat(other.publishedMessages(PROJECT, "topic")).isEmpty();
      } finally {
        other.close();
        otherChannel.shutdownNow();
      }
    }
  }

  private static String unique(String prefix) {
    return prefix + "-" + NAMES.incrementAndGet();
  }

  private static PubsubMessage message(String data, String orderingKey) {
    return PubsubMessage.newBuilder()
        .setData(ByteString.copyFromUtf8(data))
        .setOrderingKey(orderingKey)
        .build();
  }

  private static String publish(Publisher publisher, PubsubMessage message) {
    try {
      return publisher.publish(message).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("publish failed", e);
    }
  }

  private Publisher publisher(String topic, boolean ordering) {
    return build(
        Publisher.newBuilder("projects/proj/topics/" + topic).setEnableMessageOrdering(ordering));
  }

  /** A publisher that retries quickly, so retry tests take milliseconds instead of seconds. */
  private Publisher retryingPublisher(String topic, boolean ordering) {
    RetrySettings fastRetries =
        RetrySettings.newBuilder()
            .setTotalTimeoutDuration(Duration.ofSeconds(20))
            .setInitialRetryDelayDuration(Duration.ofMillis(10))
            .setRetryDelayMultiplier(2)
            .setMaxRetryDelayDuration(Duration.ofMillis(100))
            .setInitialRpcTimeoutDuration(Duration.ofSeconds(5))
            .setRpcTimeoutMultiplier(1)
            .setMaxRpcTimeoutDuration(Duration.ofSeconds(5))
            .build();
    return build(
        Publisher.newBuilder("projects/proj/topics/" + topic)
            .setEnableMessageOrdering(ordering)
            .setRetrySettings(fastRetries));
  }

  private Publisher build(Publisher.Builder builder) {
    try {
      Publisher publisher =
          builder
              .setChannelProvider(channels)
              .setCredentialsProvider(NoCredentialsProvider.create())
              .build();
      publishers.add(publisher);
      return publisher;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private Subscriber subscribe(String subscription, MessageReceiver receiver) {
    Subscriber subscriber =
        Subscriber.newBuilder("projects/proj/subscriptions/" + subscription, receiver)
            .setChannelProvider(channels)
            .setCredentialsProvider(NoCredentialsProvider.create())
            .build();
    subscriber.startAsync().awaitRunning();
    subscribers.add(subscriber);
    return subscriber;
  }
}
