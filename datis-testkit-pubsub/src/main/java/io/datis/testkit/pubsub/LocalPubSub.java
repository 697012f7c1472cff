package io.datis.testkit.pubsub;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.testkit.pubsub.internal.Broker;
import io.datis.testkit.pubsub.internal.BrokerAdmin;
import io.datis.testkit.pubsub.internal.Faults;
import io.datis.testkit.pubsub.internal.LocalServer;
import io.datis.testkit.pubsub.internal.OrderingKeyThroughput;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A local Google Cloud Pub/Sub server for tests: a real gRPC server on {@code 127.0.0.1}, on a free
 * port, without TLS or authentication, that keeps topics and subscriptions in memory. Point the
 * official client at it as at the Pub/Sub emulator, with a plaintext channel and no credentials:
 *
 * <pre>{@code
 * class OrdersPublishingTest {
 *   @RegisterExtension static LocalPubSub pubsub = LocalPubSub.create();
 *
 *   @Test
 *   void publishesOrders() throws Exception {
 *     String topic = pubsub.createTopic("proj", "orders");
 *     pubsub.createSubscription("proj", "orders-sub", "orders", true);
 *
 *     ManagedChannel channel =
 *         ManagedChannelBuilder.forTarget(pubsub.hostPort()).usePlaintext().build();
 *     Publisher publisher =
 *         Publisher.newBuilder(topic)
 *             .setChannelProvider(
 *                 FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
 *             .setCredentialsProvider(NoCredentialsProvider.create())
 *             .build();
 *     publisher.publish(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("1")).build())
 *         .get();
 *
 *     assertThat(pubsub.publishedMessages("proj", "orders")).hasSize(1);
 *     assertThat(pubsub.pull("proj", "orders-sub", 10)).hasSize(1);
 *   }
 * }
 * }</pre>
 *
 * <p>Registered on a static field, it starts before the first test of the class and is closed after
 * the last one. Elsewhere, use try-with-resources: {@code try (LocalPubSub pubsub =
 * LocalPubSub.create().start()) { ... }}. {@link #hostPort()} is also the value for the {@code
 * PUBSUB_EMULATOR_HOST} environment variable.
 *
 * <p><b>What it implements.</b> The Publisher service's CreateTopic, GetTopic, DeleteTopic,
 * ListTopics, ListTopicSubscriptions and Publish, and the Subscriber service's CreateSubscription,
 * GetSubscription, DeleteSubscription, ListSubscriptions, Pull, StreamingPull, Acknowledge and
 * ModifyAckDeadline: what {@code Publisher}, {@code Subscriber}, {@code TopicAdminClient} and
 * {@code SubscriptionAdminClient} use. Other methods answer {@code UNIMPLEMENTED}, as do push,
 * export, filtered, dead-letter and exactly-once subscriptions and topics with schemas. Names are
 * checked as by Pub/Sub, and errors carry the status codes of the real service ({@code NOT_FOUND},
 * {@code ALREADY_EXISTS}, {@code INVALID_ARGUMENT}), which the client reports as {@code
 * NotFoundException} and so on.
 *
 * <p><b>Delivery.</b> Publish gives each message an increasing numeric id and a publish time, and
 * stores it for every subscription the topic has at that moment, and in the topic's log ({@link
 * #publishedMessages}). A delivered message is leased for the ack deadline (the subscription's for
 * Pull, the stream's for StreamingPull) and delivered again when the lease expires or is nacked
 * (ModifyAckDeadline to 0), until acknowledged. StreamingPull honours the client's flow control
 * (its maximum outstanding messages and bytes). Responses hold up to 1000 messages and 3 MB, so
 * they pass gRPC's default 4 MB inbound limit; to receive a single message above 4 MB, build the
 * channel with a higher {@code maxInboundMessageSize}, as the client's own channel has (20 MB).
 * Subscriptions keep their messages when their topic is deleted, and report its topic as {@code
 * _deleted-topic_}.
 *
 * <p><b>Ordering.</b> On a subscription with message ordering, messages of one ordering key are
 * delivered in publish order: the waiting messages of a key are delivered together, in order, in
 * one response, and the key's later messages wait until all of those are acknowledged. When one of
 * them is nacked or expires, it and the key's messages delivered after it (even acknowledged ones,
 * as Pub/Sub does) are delivered again, in order, before the key's newer messages. Messages without
 * ordering key, and all messages of other subscriptions, are not ordered.
 *
 * <p><b>Faults.</b> Publish calls can be made to fail ({@link #failNextPublishes}, {@link
 * #failPublishesFor}, {@link #rejectOrderingKey}) or slow ({@link #publishLatency}); {@link
 * #publishRequests()} and {@link #failedPublishRequests()} count them. {@link
 * #limitOrderingKeyThroughput} enforces Pub/Sub's 1 MB/s per ordering key.
 *
 * <p><b>Datis's messages.</b> {@link #publishedEvents} and {@link #pullEvents} read what Datis's
 * Pub/Sub sink published back as {@code ChangeEvent}s, in any of its message formats, with {@link
 * DatisMessages}.
 *
 * <p>All methods are thread-safe. Topics, subscriptions and messages live as long as this object is
 * not closed; the methods that manage them also work before {@link #start()}.
 */
public final class LocalPubSub implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  /** Pub/Sub's publish throughput limit per ordering key, in bytes per second: 1 MB/s. */
  public static final long ORDERING_KEY_BYTES_PER_SECOND = 1_000_000;

  private static final String HOST = "127.0.0.1";

  private final Broker broker = new Broker();
  private final BrokerAdmin admin = new BrokerAdmin(broker);
  private final Faults faults = new Faults();
  private final OrderingKeyThroughput throughput = new OrderingKeyThroughput();
  private volatile @Nullable LocalServer server;
  private @Nullable String startedBy;

  private LocalPubSub() {}

  /** A server that is not started yet: call {@link #start()} or register it as an extension. */
  public static LocalPubSub create() {
    return new LocalPubSub();
  }

  /**
   * Starts listening on {@code 127.0.0.1} and a free port; does nothing if already running. After
   * {@link #close()}, starts afresh on a new port.
   *
   * @return this, to write {@code LocalPubSub.create().start()}
   * @throws java.io.UncheckedIOException if it cannot listen
   */
  public synchronized LocalPubSub start() {
    if (server == null) {
      server = LocalServer.start(HOST, broker, faults, throughput);
    }
    return this;
  }

  /** Whether the server is listening. */
  public boolean isRunning() {
    return server != null;
  }

  /**
   * Stops the server at once, cancelling the calls in progress (clients see {@code UNAVAILABLE} or
   * {@code CANCELLED}), and discards all topics, subscriptions, messages, faults and counters.
   * Idempotent.
   */
  @Override
  public synchronized void close() {
    startedBy = null;
    LocalServer running = server;
    server = null;
    if (running != null) {
      running.close();
    }
    broker.clear();
    faults.reset();
  }

  /** The host the server listens on: {@code 127.0.0.1}. */
  public String host() {
    return HOST;
  }

  /**
   * The port the server listens on.
   *
   * @throws IllegalStateException if it is not running
   */
  public int port() {
    LocalServer running = server;
    if (running == null) {
      throw new IllegalStateException(
          "LocalPubSub is not running: call start(), or register it with @RegisterExtension on a"
              + " static field");
    }
    return running.port();
  }

  /**
   * {@code 127.0.0.1:<port>}: the target for {@code ManagedChannelBuilder.forTarget(...)} and the
   * value for {@code PUBSUB_EMULATOR_HOST}.
   *
   * @throws IllegalStateException if it is not running
   */
  public String hostPort() {
    return HOST + ":" + port();
  }

  /**
   * Creates a topic.
   *
   * @return its name, {@code projects/<project>/topics/<topic>}, as {@code Publisher.newBuilder}
   *     takes it
   * @throws IllegalArgumentException if an id is invalid
   * @throws IllegalStateException if the topic exists
   */
  public String createTopic(String project, String topic) {
    return admin.createTopic(project, topic);
  }

  /**
   * Creates a subscription to a topic of the same project, with the default ack deadline of 10
   * seconds.
   *
   * @param messageOrdering whether messages with the same ordering key are delivered in order
   * @return its name, {@code projects/<project>/subscriptions/<subscription>}, as {@code
   *     Subscriber.newBuilder} takes it
   * @throws IllegalArgumentException if an id is invalid
   * @throws IllegalStateException if the topic does not exist or the subscription does
   */
  public String createSubscription(
      String project, String subscription, String topic, boolean messageOrdering) {
    return admin.createSubscription(project, subscription, topic, messageOrdering);
  }

  /**
   * Deletes a topic; its subscriptions remain, detached. Its log stays readable through {@link
   * #publishedMessages}.
   *
   * @throws IllegalStateException if it does not exist
   */
  public void deleteTopic(String project, String topic) {
    admin.deleteTopic(project, topic);
  }

  /**
   * Deletes a subscription and its messages; its streams and waiting pulls fail with {@code
   * NOT_FOUND}.
   *
   * @throws IllegalStateException if it does not exist
   */
  public void deleteSubscription(String project, String subscription) {
    admin.deleteSubscription(project, subscription);
  }

  /**
   * Every message published to the topic since this server was created (or last closed or reset),
   * in the order they were stored, with their ids and publish times; includes messages published
   * before the topic was deleted and recreated. Empty for a topic that never received any.
   *
   * @return an unmodifiable snapshot
   */
  public List<PubsubMessage> publishedMessages(String project, String topic) {
    return admin.publishedMessages(project, topic);
  }

  /**
   * Takes up to {@code maxMessages} of the messages the subscription can deliver now, and
   * acknowledges them; returns at once, with an empty list if there are none. For simple assertions
   * without a client; it competes with the subscription's other consumers, and honours ordering
   * like any delivery.
   *
   * @return an unmodifiable list, in delivery order
   * @throws IllegalArgumentException if an id is invalid or {@code maxMessages} is not positive
   * @throws IllegalStateException if the subscription does not exist
   */
  public List<PubsubMessage> pull(String project, String subscription, int maxMessages) {
    return admin.pull(project, subscription, maxMessages);
  }

  /**
   * The change events that Datis's Pub/Sub sink published to the topic: {@link #publishedMessages}
   * read back with {@link DatisMessages#decode}, in the same order, in any of the sink's message
   * formats. Duplicates are included: the sink publishes at least once, so an event whose publish
   * was retried can be there twice. Column values come back in their JSON form (whole numbers as
   * {@code Long}, {@code numeric} and times as {@code String}...), as {@link DatisMessages}
   * describes.
   *
   * <pre>{@code
   * import static io.datis.testkit.DatisAssertions.assertThatEvents;
   *
   * List<ChangeEvent> events = pubsub.publishedEvents("my-project", "orders-cdc");
   * assertThatEvents(events).forKey("id", 10L).containsOperationsInOrder(INSERT, UPDATE);
   * assertThatEvents(events).last().hasAfterColumn("status", "paid");
   * }</pre>
   *
   * @return an unmodifiable list; empty for a topic that never received a message
   * @throws IllegalArgumentException if a message is not one Datis publishes; the message says
   *     which one, what it holds and what was expected
   */
  public List<ChangeEvent> publishedEvents(String project, String topic) {
    return admin.publishedEvents(project, topic);
  }

  /**
   * Takes up to {@code maxMessages} messages from the subscription, acknowledges them, and returns
   * the change events they hold: {@link #pull} followed by {@link DatisMessages#decode} of each, in
   * delivery order; returns at once, with an empty list if there are none. Column values come back
   * in their JSON form, as {@link DatisMessages} describes.
   *
   * <pre>{@code
   * pubsub.createSubscription("my-project", "orders-sub", "orders-cdc", true);
   * // ... run the pipeline ...
   * List<ChangeEvent> events =
   *     await().until(() -> pubsub.pullEvents("my-project", "orders-sub", 100), e -> !e.isEmpty());
   * assertThat(events.get(0)).isInsertOf("id", 10L);
   * }</pre>
   *
   * <p>The messages are acknowledged before they are decoded: if one is not a Datis message, this
   * throws and the messages of this pull are gone from the subscription (they are still in {@link
   * #publishedMessages}).
   *
   * @return an unmodifiable list, in delivery order
   * @throws IllegalArgumentException if an id is invalid, {@code maxMessages} is not positive, or a
   *     message is not one Datis publishes (the message says which one and why)
   * @throws IllegalStateException if the subscription does not exist
   */
  public List<ChangeEvent> pullEvents(String project, String subscription, int maxMessages) {
    return admin.pullEvents(project, subscription, maxMessages);
  }

  /**
   * The number of the subscription's messages not acknowledged yet, whether waiting for delivery or
   * delivered and leased.
   *
   * @throws IllegalStateException if the subscription does not exist
   */
  public int unacknowledgedCount(String project, String subscription) {
    return admin.unacknowledgedCount(project, subscription);
  }

  /**
   * Fails the next {@code count} Publish calls, whatever their topic, with {@code code}, before
   * storing anything; replaces an earlier {@code failNextPublishes}. The client retries retryable
   * codes ({@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED}, {@code RESOURCE_EXHAUSTED}, {@code
   * ABORTED}, {@code INTERNAL}, {@code UNKNOWN}, {@code CANCELLED}) with backoff, so a small count
   * only delays the publish; other codes fail the publish future with the matching {@code
   * ApiException}.
   *
   * @return this
   * @throws IllegalArgumentException if {@code count} is negative or {@code code} is {@code OK}
   */
  public LocalPubSub failNextPublishes(int count, Status.Code code) {
    faults.failNext(count, code);
    return this;
  }

  /**
   * Fails every Publish call with {@code code} from now on for {@code duration}, such as five
   * seconds of {@code UNAVAILABLE}; replaces an earlier {@code failPublishesFor}.
   *
   * @return this
   * @throws IllegalArgumentException if {@code duration} is negative or {@code code} is {@code OK}
   */
  public LocalPubSub failPublishesFor(Duration duration, Status.Code code) {
    faults.failFor(duration, code);
    return this;
  }

  /**
   * Delays the answer to every Publish call, successful or failed, by {@code latency}; the messages
   * are stored (and delivered) at once. A latency above the client's RPC timeout (5 s at first by
   * default) makes it time out and retry, which publishes the messages again. {@link Duration#ZERO}
   * removes the delay.
   *
   * @return this
   * @throws IllegalArgumentException if {@code latency} is negative
   */
  public LocalPubSub publishLatency(Duration latency) {
    faults.latency(latency);
    return this;
  }

  /**
   * Fails, with {@code code}, every Publish call that contains a message with this ordering key,
   * until {@link #acceptOrderingKey} or {@link #clearFaults()}. With a non-retryable code, a {@code
   * Publisher} with message ordering fails the publish and pauses the key: it fails later publishes
   * of that key without sending them, until {@code publisher.resumePublish(key)}.
   *
   * @return this
   * @throws IllegalArgumentException if {@code key} is empty or {@code code} is {@code OK}
   */
  public LocalPubSub rejectOrderingKey(String key, Status.Code code) {
    faults.rejectOrderingKey(key, code);
    return this;
  }

  /**
   * Accepts messages with this ordering key again after {@link #rejectOrderingKey}.
   *
   * @return this
   */
  public LocalPubSub acceptOrderingKey(String key) {
    faults.acceptOrderingKey(key);
    return this;
  }

  /**
   * Removes every injected fault and the latency; the counters keep counting.
   *
   * @return this
   */
  public LocalPubSub clearFaults() {
    faults.clear();
    return this;
  }

  /**
   * Enforces Pub/Sub's publish throughput limit per ordering key ({@link
   * #ORDERING_KEY_BYTES_PER_SECOND}, 1 MB/s, or another rate): each topic's ordering key may
   * publish {@code bytesPerSecond} on average, with bursts of one second's worth; a Publish over it
   * is refused with {@code RESOURCE_EXHAUSTED} (which publishers retry with backoff) and stores
   * nothing. Requests are charged as Pub/Sub's quota charges them: their size rounded up to whole
   * kilobytes. Messages without ordering key are not limited. Off by default, so that tests are not
   * slowed; benchmarks turn it on to show what a number of ordering keys sustains in production. 0
   * turns it off.
   *
   * @return this
   * @throws IllegalArgumentException if {@code bytesPerSecond} is negative
   */
  public LocalPubSub limitOrderingKeyThroughput(long bytesPerSecond) {
    throughput.limit(bytesPerSecond);
    return this;
  }

  /**
   * The number of Publish calls refused by {@link #limitOrderingKeyThroughput}; they also count in
   * {@link #failedPublishRequests()}.
   */
  public long publishRequestsOverOrderingKeyLimit() {
    return throughput.refused();
  }

  /** The number of Publish calls received, successful or not. */
  public long publishRequests() {
    return faults.received();
  }

  /**
   * The number of Publish calls answered with an error: injected failures, and real ones such as
   * {@code NOT_FOUND} for a missing topic.
   */
  public long failedPublishRequests() {
    return faults.failed();
  }

  /**
   * Deletes all topics and subscriptions (their streams fail with {@code NOT_FOUND}), forgets what
   * was published, and removes faults, counters and the ordering key throughput limit; the server
   * keeps running on the same port.
   */
  public void reset() {
    broker.clear();
    faults.reset();
    throughput.reset();
  }

  /** Starts the server before the first test of the class that registers it. */
  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    if (server == null) {
      start();
      startedBy = context.getUniqueId();
    }
  }

  /**
   * Closes the server after the last test of the class that started it. Nested test classes, which
   * inherit the extension, leave it running for their enclosing class.
   */
  @Override
  public synchronized void afterAll(ExtensionContext context) {
    if (context.getUniqueId().equals(startedBy)) {
      close();
    }
  }

  @Override
  public String toString() {
    LocalServer running = server;
    return "LocalPubSub{" + (running == null ? "not running" : HOST + ":" + running.port()) + "}";
  }
}
