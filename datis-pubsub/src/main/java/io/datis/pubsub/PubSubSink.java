package io.datis.pubsub;

import com.google.api.gax.core.CredentialsProvider;
import com.google.pubsub.v1.TopicName;
import io.datis.api.ConfigurationException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.DeadLetterSink;
import io.datis.api.sink.Sink;
import io.datis.api.sink.SinkContext;
import io.datis.pubsub.internal.EncodingContext;
import io.datis.pubsub.internal.MessageEncoder;
import io.datis.pubsub.internal.PubSubDelivery;
import io.datis.pubsub.internal.PubSubSettings;
import io.datis.pubsub.internal.PubSubTarget;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Publishes change events to Google Cloud Pub/Sub through the official Java client, losing nothing
 * and keeping each row's changes in order.
 *
 * <pre>{@code
 * PubSubSink sink = PubSubSink.builder("my-project", "orders-cdc").build();
 * try (Pipeline pipeline = Datis.capture(pg).tables("public.orders").to(sink).start()) { ... }
 * }</pre>
 *
 * <h2>Delivery</h2>
 *
 * A batch completes when Pub/Sub has acknowledged every message of it; many batches are in flight
 * at once and the pipeline commits only the acknowledged prefix. Messages carry an ordering key (by
 * default the table and primary key), so a subscription with message ordering receives each row's
 * changes in commit order. Transient failures ({@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED},
 * {@code RESOURCE_EXHAUSTED}, {@code INTERNAL}, ...) are retried with exponential backoff for as
 * long as they last: a failed request is sent again whole, before any later message of its ordering
 * key, so nothing is lost or reordered and no restart is needed. Failures that need a person
 * ({@code NOT_FOUND}, {@code PERMISSION_DENIED}, ...) stop the pipeline with an error naming the
 * topic and the fix. A message over Pub/Sub's limits (10 MB) fails with a {@link
 * MessageTooLargeException}, which the pipeline's error policy acts on (by default it stops the
 * pipeline), before anything after it is published; or, with a {@linkplain Builder#deadLetterTopic
 * dead-letter topic}, the sink diverts it.
 *
 * <h2>Dead letters</h2>
 *
 * A {@code PubSubSink} is also a {@link DeadLetterSink}: a second one, for another topic, can take
 * the events a pipeline cannot process, with the reason in attributes.
 *
 * <pre>{@code
 * Datis.capture(pg).tables("public.orders")
 *     .transform(parseAddress)
 *     .errorPolicy(ErrorPolicy.deadLetter(PubSubSink.builder("my-project", "orders-dead-letters").build()))
 *     .to(PubSubSink.builder("my-project", "orders").build())
 *     .start();
 * }</pre>
 *
 * This and {@link Builder#deadLetterTopic} differ in who decides:
 *
 * <ul>
 *   <li>{@code ErrorPolicy.deadLetter(pubSubSink)} is pipeline-wide: the dead-letter sink receives
 *       every event a transform failed on and every event the main sink reported undeliverable (for
 *       a {@code PubSubSink}: a {@link MessageTooLargeException}). It publishes the event in its
 *       format when the message fits, or a description without the row when it does not (see {@link
 *       #deliver(DeadLetter)}). The pipeline logs and counts each one ({@code
 *       datis.events.dead.lettered}) and commits past the event only once Pub/Sub has acknowledged
 *       its letter.
 *   <li>{@link Builder#deadLetterTopic} is the sink's own: it diverts only its messages over
 *       Pub/Sub's limits, as a description without the row, and reports them delivered, so the
 *       pipeline and its error policy never know. Set on the main sink, it takes the too-large
 *       events before the policy could see them.
 * </ul>
 *
 * Both publish descriptions of the same shape and the same failure attributes ({@code
 * datis-error-stage}, {@code datis-error-type}, {@code datis-error-reason}, {@code
 * datis-failed-at}; see {@link MessageFormat}), so one subscriber can read either. A sink serves
 * one pipeline in one role: the dead-letter sink must be a second {@code PubSubSink}.
 *
 * <h2>Defaults</h2>
 *
 * All defaults are the constants of {@link Builder}: format {@link MessageFormat#datisJson()},
 * ordering keys {@link OrderingKeys#tableAndPrimaryKey()}, publish requests of up to {@value
 * Builder#DEFAULT_BATCH_MESSAGES} messages or {@value Builder#DEFAULT_BATCH_BYTES} bytes, at most
 * {@value Builder#DEFAULT_MAX_OUTSTANDING_MESSAGES} messages or {@value
 * Builder#DEFAULT_MAX_OUTSTANDING_BYTES} bytes outstanding (publishing blocks beyond, which pauses
 * capture), Application Default Credentials, and the emulator when {@code PUBSUB_EMULATOR_HOST} is
 * set.
 */
public final class PubSubSink implements Sink, DeadLetterSink {

  private final PubSubSettings settings;
  private final MessageFormat format;
  private final OrderingKeys orderingKeys;
  private @Nullable PubSubDelivery delivery;

  private PubSubSink(Builder builder, PubSubTarget target) {
    this.settings = builder.settings(target);
    MessageFormat withAttributes = builder.format.withAttributes(builder.attributes);
    this.format =
        builder.attributeFunction == null
            ? withAttributes
            : withAttributes.withAttributes(builder.attributeFunction);
    this.orderingKeys = builder.orderingKeys;
  }

  /** A sink publishing to {@code projects/<projectId>/topics/<topic>}. */
  public static Builder builder(String projectId, String topic) {
    Objects.requireNonNull(projectId, "projectId");
    Objects.requireNonNull(topic, "topic");
    if (projectId.isBlank() || projectId.contains("/")) {
      throw new IllegalArgumentException("Invalid Google Cloud project id '" + projectId + "'");
    }
    if (topic.isBlank() || topic.contains("/")) {
      throw new IllegalArgumentException(
          "Invalid Pub/Sub topic id '" + topic + "': give the id, e.g. 'orders-cdc'");
    }
    return new Builder(TopicName.of(projectId, topic), System.getenv());
  }

  /** A sink publishing to the given topic. */
  public static Builder builder(TopicName topic) {
    return new Builder(Objects.requireNonNull(topic, "topic"), System.getenv());
  }

  /** A builder that reads {@code PUBSUB_EMULATOR_HOST} from the given environment, for tests. */
  static Builder builder(TopicName topic, Map<String, String> environment) {
    return new Builder(topic, environment);
  }

  /**
   * Connects and checks the topic (creating it if configured); fails with the fix if it cannot be
   * used. The same whether the pipeline uses the sink as its sink or as its dead-letter sink.
   */
  @Override
  public void open(SinkContext context) {
    if (delivery != null) {
      throw new IllegalStateException(
          "PubSubSink "
              + settings.topic()
              + " is already open; a sink serves one pipeline at a time, in one"
              + " role: for ErrorPolicy.deadLetter(...) build a second PubSubSink, for another topic");
    }
    EncodingContext encoding = EncodingContext.of(context.pipelineName(), context.database());
    MessageEncoder encoder = format.encoder();
    OrderingKeys keys = orderingKeys;
    delivery =
        new PubSubDelivery(
            settings,
            context,
            event -> encoder.encode(event, keys.keyFor(event), encoding),
            event -> encoder.encode(event, "", encoding));
  }

  @Override
  public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
    PubSubDelivery open = delivery;
    if (open == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("PubSubSink is not open"));
    }
    return open.deliver(batch);
  }

  /**
   * Publishes a dead letter to the sink's topic, for a pipeline with {@code
   * ErrorPolicy.deadLetter(thisSink)}: the letter's event in the sink's {@linkplain Builder#format
   * format}, with the standard and user attributes, plus attributes that say where, why and when it
   * failed ({@code datis-error-stage}, {@code datis-error-type}, {@code datis-error-reason}, {@code
   * datis-failed-at}; see {@link MessageFormat}). If that message breaks Pub/Sub's limits
   * (typically the row a {@link MessageTooLargeException} was about) or cannot be encoded, a
   * description of the event without its row is published in its place, as for {@link
   * Builder#deadLetterTopic}.
   *
   * <p>Dead letters have no ordering key, whatever {@link Builder#orderingKeys} says: they are
   * rare, each is on its own (the events after it have already gone on to the main sink), and each
   * carries its position ({@code datis-lsn}, {@code datis-txid}, {@code datis-sequence}) to sort
   * by. So a subscription needs no message ordering, and a failed publish never holds up another
   * letter. Nor do {@link Builder#route} and {@link ChangeEvent#destination()} apply: every letter
   * goes to the sink's topic.
   *
   * @return a stage that completes once Pub/Sub has acknowledged the letter; transient failures are
   *     retried with backoff meanwhile, as for events, and other failures complete it
   *     exceptionally, which stops the pipeline without committing past the event
   */
  @Override
  public CompletionStage<Void> deliver(DeadLetter letter) {
    Objects.requireNonNull(letter, "letter");
    PubSubDelivery open = delivery;
    if (open == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("PubSubSink is not open"));
    }
    return open.deliver(letter);
  }

  /**
   * Waits up to the close timeout for outstanding publishes, then shuts the Pub/Sub client down.
   */
  @Override
  public void close() {
    PubSubDelivery open = delivery;
    delivery = null;
    if (open != null) {
      open.close();
    }
  }

  @Override
  public String toString() {
    return "PubSubSink{" + settings.topic() + " via " + settings.target().description() + "}";
  }

  /**
   * Builds a {@link PubSubSink}. Each setter checks its argument; every option has a documented
   * default.
   */
  public static final class Builder {

    /** Default most messages per publish request: {@value}. */
    public static final long DEFAULT_BATCH_MESSAGES = 1_000;

    /** Default most bytes per publish request: {@value}. */
    public static final long DEFAULT_BATCH_BYTES = 5_000_000;

    /** Default most messages published but not acknowledged: {@value}. */
    public static final long DEFAULT_MAX_OUTSTANDING_MESSAGES = 5_000;

    /** Default most bytes published but not acknowledged: {@value}. */
    public static final long DEFAULT_MAX_OUTSTANDING_BYTES = 200_000_000;

    /** Default time one publish request may take before Datis sends it again, in s: {@value}. */
    public static final long DEFAULT_PUBLISH_TIMEOUT_SECONDS = 60;

    /** Default first retry delay after a failed publish, in ms: {@value}. */
    public static final long DEFAULT_RETRY_INITIAL_BACKOFF_MILLIS = 100;

    /** Default longest retry delay, in s: {@value}. */
    public static final long DEFAULT_RETRY_MAX_BACKOFF_SECONDS = 30;

    /** Default time to wait for Pub/Sub when checking the topic at start, in s: {@value}. */
    public static final long DEFAULT_START_TIMEOUT_SECONDS = 15;

    /** Default time {@code close()} waits for outstanding publishes, in s: {@value}. */
    public static final long DEFAULT_CLOSE_TIMEOUT_SECONDS = 30;

    private final TopicName topic;
    private @Nullable Function<ChangeEvent, @Nullable String> router;
    private MessageFormat format = MessageFormat.datisJson();
    private OrderingKeys orderingKeys = OrderingKeys.tableAndPrimaryKey();
    private final Map<String, String> attributes = new LinkedHashMap<>();
    private @Nullable Function<ChangeEvent, Map<String, String>> attributeFunction;
    private long batchMaxMessages = DEFAULT_BATCH_MESSAGES;
    private long batchMaxBytes = DEFAULT_BATCH_BYTES;
    private long maxOutstandingMessages = DEFAULT_MAX_OUTSTANDING_MESSAGES;
    private long maxOutstandingBytes = DEFAULT_MAX_OUTSTANDING_BYTES;
    private boolean compression;
    private Duration publishTimeout = Duration.ofSeconds(DEFAULT_PUBLISH_TIMEOUT_SECONDS);
    private Duration retryInitialBackoff = Duration.ofMillis(DEFAULT_RETRY_INITIAL_BACKOFF_MILLIS);
    private Duration retryMaxBackoff = Duration.ofSeconds(DEFAULT_RETRY_MAX_BACKOFF_SECONDS);
    private final @Nullable String environmentEmulator;
    private @Nullable String endpoint;
    private @Nullable String region;
    private @Nullable String emulator;
    private @Nullable CredentialsProvider credentials;
    private boolean createTopicIfMissing;
    private @Nullable TopicName deadLetterTopic;
    private Duration startTimeout = Duration.ofSeconds(DEFAULT_START_TIMEOUT_SECONDS);
    private Duration closeTimeout = Duration.ofSeconds(DEFAULT_CLOSE_TIMEOUT_SECONDS);

    private Builder(TopicName topic, Map<String, String> environment) {
      this.topic = topic;
      this.environmentEmulator = emptyToNull(environment.get(PubSubTarget.EMULATOR_VARIABLE));
    }

    /**
     * Chooses the topic per event (a topic id in the sink's project, or a full {@code
     * projects/p/topics/t} name), for example one topic per table. A destination set by a transform
     * ({@link ChangeEvent#destination()}) takes precedence; events for which neither gives a topic
     * go to the sink's topic. Routed topics are not checked at start: a missing one fails the
     * pipeline when first used.
     */
    public Builder route(Function<ChangeEvent, @Nullable String> topicForEvent) {
      this.router = Objects.requireNonNull(topicForEvent, "topicForEvent");
      return this;
    }

    /** The message format. Default {@link MessageFormat#datisJson()}. */
    public Builder format(MessageFormat format) {
      this.format = Objects.requireNonNull(format, "format");
      return this;
    }

    /** How ordering keys are chosen. Default {@link OrderingKeys#tableAndPrimaryKey()}. */
    public Builder orderingKeys(OrderingKeys orderingKeys) {
      this.orderingKeys = Objects.requireNonNull(orderingKeys, "orderingKeys");
      return this;
    }

    /**
     * Adds an attribute to every message. Names starting with {@code datis-} or {@code ce-} are
     * reserved.
     */
    public Builder attribute(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (name.startsWith("datis-") || name.startsWith("ce-") || name.startsWith("goog")) {
        throw new IllegalArgumentException(
            "Attribute name '" + name + "' is reserved (datis-, ce-, goog)");
      }
      attributes.put(name, value);
      return this;
    }

    /** Adds attributes computed from each event (reserved names are ignored, with a warning). */
    public Builder attributes(Function<ChangeEvent, Map<String, String>> attributesForEvent) {
      this.attributeFunction = Objects.requireNonNull(attributesForEvent, "attributesForEvent");
      return this;
    }

    /**
     * The largest publish request: at most {@code maxMessages} messages and {@code maxBytes} bytes
     * (a larger message goes alone). Pub/Sub takes one ordering key per request and Datis keeps one
     * request per key in flight, so a key's message goes out at once when nothing of the key is in
     * flight, and the messages that arrive meanwhile go together in its next request: there is no
     * batching delay to tune. Defaults 1,000 messages and 5 MB.
     */
    public Builder batching(long maxMessages, long maxBytes) {
      if (maxMessages < 1 || maxMessages > 1000) {
        throw new IllegalArgumentException(
            "maxMessages must be 1 to 1,000 (Pub/Sub's limit), but was " + maxMessages);
      }
      if (maxBytes < 1 || maxBytes > 10_000_000) {
        throw new IllegalArgumentException(
            "maxBytes must be 1 to 10,000,000 (Pub/Sub's limit), but was " + maxBytes);
      }
      this.batchMaxMessages = maxMessages;
      this.batchMaxBytes = maxBytes;
      return this;
    }

    /**
     * Bounds the messages and bytes published but not yet acknowledged; beyond them publishing
     * blocks, which pauses capture instead of growing memory. Defaults 5,000 messages, 200 MB: with
     * one ordering key per row the sink sends one message per request, and more requests in flight
     * cost more than they bring (measured in datis-bench); raise it for a distant region with few
     * keys.
     */
    public Builder flowControl(long maxOutstandingMessages, long maxOutstandingBytes) {
      if (maxOutstandingMessages < 1 || maxOutstandingBytes < 10_000_000) {
        throw new IllegalArgumentException(
            "flow control needs at least 1 message and 10,000,000 bytes (one maximal message), but was "
                + maxOutstandingMessages
                + " messages, "
                + maxOutstandingBytes
                + " bytes");
      }
      this.maxOutstandingMessages = maxOutstandingMessages;
      this.maxOutstandingBytes = maxOutstandingBytes;
      return this;
    }

    /** Compresses publish requests with gzip (useful for large rows on slow links). Default off. */
    public Builder compression(boolean enabled) {
      this.compression = enabled;
      return this;
    }

    /**
     * How long one publish request may take; a request not answered by then counts as failed and is
     * sent again after a backoff, before anything behind it. Default 60 s.
     */
    public Builder publishTimeout(Duration timeout) {
      this.publishTimeout = positive(timeout, "publishTimeout");
      return this;
    }

    /**
     * The backoff between republishing after a failure: doubling from {@code initial} up to {@code
     * max}.
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      positive(initial, "initial");
      positive(max, "max");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max backoff must not be below the initial backoff");
      }
      this.retryInitialBackoff = initial;
      this.retryMaxBackoff = max;
      return this;
    }

    /**
     * A Pub/Sub endpoint, e.g. {@code us-east1-pubsub.googleapis.com:443}. Choose at most one of
     * {@code endpoint}, {@link #region} and {@link #emulator}: {@link #build()} reports a second.
     */
    public Builder endpoint(String endpoint) {
      this.endpoint = requireNotBlank(endpoint, "endpoint");
      return this;
    }

    /**
     * A regional endpoint: {@code <region>-pubsub.googleapis.com:443}, which keeps messages in that
     * region. Choose at most one of {@link #endpoint}, {@code region} and {@link #emulator}.
     */
    public Builder region(String region) {
      this.region = requireNotBlank(region, "region");
      return this;
    }

    /**
     * An emulator (or the testkit's {@code LocalPubSub}) at {@code host:port}: plaintext, no
     * credentials. Used without this call when the {@code PUBSUB_EMULATOR_HOST} environment
     * variable is set; {@link #build()} then reports an {@link #endpoint}, {@link #region} or
     * {@link #credentials} given as well, rather than let the variable override them silently.
     * Choose at most one of {@link #endpoint}, {@link #region} and {@code emulator}.
     */
    public Builder emulator(String hostPort) {
      this.emulator = requireNotBlank(hostPort, "hostPort");
      return this;
    }

    /**
     * Explicit credentials instead of Application Default Credentials; not with an emulator, which
     * takes none.
     */
    public Builder credentials(CredentialsProvider credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * Creates the topic at start if it does not exist, for development. Default off: a missing
     * topic is an error.
     */
    public Builder createTopicIfMissing(boolean create) {
      this.createTopicIfMissing = create;
      return this;
    }

    /**
     * Diverts events whose message breaks Pub/Sub's limits to this topic (id in the sink's project,
     * or a full name) instead of failing them. The dead-letter message describes the event in JSON
     * (table, operation, key columns, position, the limits broken) without its row, with the
     * event's standard {@code datis-*} attributes, {@code datis-error=message-too-large}, {@code
     * datis-original-topic} (the topic the event was meant for) and the failure attributes {@code
     * datis-error-stage=SINK}, {@code datis-error-type}, {@code datis-error-reason} and {@code
     * datis-failed-at} (see {@link MessageFormat}).
     *
     * <p>The sink does this on its own: the pipeline counts the event as delivered and its error
     * policy never sees it. To send every event the pipeline cannot process to one place, transform
     * failures included, use {@code ErrorPolicy.deadLetter(...)} with a second {@code PubSubSink}
     * instead (see the {@linkplain PubSubSink class documentation}); it publishes too-large events
     * the same way. Set both and this topic takes the too-large events. Default none: such an event
     * fails with a {@link MessageTooLargeException}, for the pipeline's error policy to act on.
     */
    public Builder deadLetterTopic(String topic) {
      requireNotBlank(topic, "topic");
      this.deadLetterTopic =
          topic.startsWith("projects/")
              ? TopicName.parse(topic)
              : TopicName.of(this.topic.getProject(), topic);
      return this;
    }

    /** How long to wait for Pub/Sub when checking the topic at start. Default 15 s. */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = positive(timeout, "startTimeout");
      return this;
    }

    /** How long {@code close()} waits for outstanding publishes. Default 30 s. */
    public Builder closeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "closeTimeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must not be negative");
      }
      this.closeTimeout = timeout;
      return this;
    }

    /**
     * Builds the sink. Nothing connects until the pipeline opens it.
     *
     * @throws ConfigurationException if the options contradict each other (two of {@link
     *     #endpoint}, {@link #region} and {@link #emulator}; credentials for an emulator; {@code
     *     PUBSUB_EMULATOR_HOST} set while an endpoint, region or credentials are given), listing
     *     every contradiction with its fix
     */
    public PubSubSink build() {
      PubSubTarget.Choice choice =
          new PubSubTarget.Choice(endpoint, region, emulator, credentials, environmentEmulator);
      List<String> conflicts = choice.conflicts();
      if (!conflicts.isEmpty()) {
        throw new ConfigurationException("PubSubSink for " + topic, conflicts);
      }
      return new PubSubSink(this, choice.target());
    }

    private PubSubSettings settings(PubSubTarget target) {
      return new PubSubSettings(
          topic,
          router,
          batchMaxMessages,
          batchMaxBytes,
          maxOutstandingMessages,
          maxOutstandingBytes,
          compression,
          publishTimeout,
          retryInitialBackoff,
          retryMaxBackoff,
          target,
          createTopicIfMissing,
          deadLetterTopic,
          startTimeout,
          closeTimeout);
    }

    private static Duration positive(Duration duration, String name) {
      Objects.requireNonNull(duration, name);
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, but was " + duration);
      }
      return duration;
    }

    private static String requireNotBlank(String value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank");
      }
      return value;
    }

    private static @Nullable String emptyToNull(@Nullable String value) {
      return value == null || value.isBlank() ? null : value;
    }
  }
}
