package io.datis.pubsub.internal;

import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.grpc.GrpcCallContext;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiCallContext;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.stub.GrpcPublisherStub;
import com.google.cloud.pubsub.v1.stub.PublisherStub;
import com.google.cloud.pubsub.v1.stub.PublisherStubSettings;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.SinkContext;
import io.datis.pubsub.MessageTooLargeException;
import io.grpc.CallOptions;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pub/Sub sink while it is open: one {@link PublishLane} per ordering key and topic over one
 * Pub/Sub client, a batch's stage completing when every one of its messages is acknowledged. Also
 * publishes dead letters, when the sink serves as a pipeline's dead-letter sink.
 *
 * <p>Datis publishes through the client's generated stub rather than its {@code Publisher}: the
 * {@code Publisher} keeps a batch, a future and a callback per message and waits for its batching
 * delay before a key's next request, which with one ordering key per row made publishing, not
 * capture, the bottleneck.
 */
public final class PubSubDelivery {

  private static final Logger log = LoggerFactory.getLogger(PubSubDelivery.class);

  /**
   * Idle lanes are forgotten every this many messages, so memory does not grow with the number of
   * rows.
   */
  private static final int LANE_SWEEP_INTERVAL = 10_000;

  /** Requests without ordering key in flight at once, per topic. */
  private static final int UNORDERED_LANES = 4;

  /** How long closing waits for the client to shut down, after the close timeout. */
  private static final Duration STUB_SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final PubSubSettings settings;
  private final Function<ChangeEvent, PubsubMessage> encoder;
  private final Function<ChangeEvent, PubsubMessage> deadLetterEncoder;
  private final BiFunction<PubsubMessage, ChangeEvent, List<String>> limitViolations;
  private final PubSubConnection connection;
  private final ScheduledExecutorService scheduler;
  private final OutstandingLimit limit;
  private final PublisherStub stub;
  private final PublishLane.Shared lanesShare;
  private final Map<TopicName, Map<String, PublishLane>> lanes = new ConcurrentHashMap<>();
  private final Map<TopicName, PublishLane[]> unorderedLanes = new ConcurrentHashMap<>();
  private final AtomicInteger unorderedTurn = new AtomicInteger();
  private final AtomicBoolean notEncodableWarned = new AtomicBoolean();
  private final SinkContext context;

  /** Lanes whose requests are being retried; the sink is DEGRADED meanwhile. Guarded by itself. */
  private final Set<PublishLane> retryingLanes = new HashSet<>();

  private int publishedSinceSweep;

  /**
   * Connects and checks that the default topic exists (creating it if so configured).
   *
   * @param encoder turns an event into its message, ordering key included
   * @param deadLetterEncoder turns the event of a dead letter into its message, without ordering
   *     key
   * @param limitViolations Pub/Sub limits a message breaks, described without row values
   */
  public PubSubDelivery(
      PubSubSettings settings,
      SinkContext context,
      Function<ChangeEvent, PubsubMessage> encoder,
      Function<ChangeEvent, PubsubMessage> deadLetterEncoder,
      BiFunction<PubsubMessage, ChangeEvent, List<String>> limitViolations) {
    this.settings = settings;
    this.context = context;
    this.encoder = encoder;
    this.deadLetterEncoder = deadLetterEncoder;
    this.limitViolations = limitViolations;
    this.connection = new PubSubConnection(settings);
    this.limit =
        new OutstandingLimit(settings.maxOutstandingMessages(), settings.maxOutstandingBytes());
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "datis-pubsub-retry");
              thread.setDaemon(true);
              return thread;
            });
    try {
      this.stub = newStub();
    } catch (RuntimeException e) {
      scheduler.shutdownNow();
      connection.close();
      throw e;
    }
    ApiCallContext callContext =
        settings.compression()
            ? GrpcCallContext.createDefault()
                .withCallOptions(CallOptions.DEFAULT.withCompression("gzip"))
            : GrpcCallContext.createDefault();
    this.lanesShare =
        new PublishLane.Shared(
            request -> stub.publishCallable().futureCall(request, callContext),
            scheduler,
            new Backoff(settings.retryInitialBackoff(), settings.retryMaxBackoff()),
            limit,
            settings.batchMaxMessages(),
            settings.batchMaxBytes(),
            retryReporting());
    try {
      checkTopic(settings.topic());
      if (settings.deadLetterTopic() != null) {
        checkTopic(settings.deadLetterTopic());
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    log.info(
        "Pipeline '{}': Pub/Sub sink publishes to {} through {}",
        context.pipelineName(),
        settings.topic(),
        settings.target().description());
  }

  private void checkTopic(TopicName topic) {
    try (TopicAdminClient admin = connection.topicAdmin()) {
      try {
        admin
            .getTopicCallable()
            .futureCall(
                com.google.pubsub.v1.GetTopicRequest.newBuilder()
                    .setTopic(topic.toString())
                    .build())
            .get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        StatusCode.Code code = PubSubErrors.code(e);
        if (code == StatusCode.Code.NOT_FOUND && settings.createTopicIfMissing()) {
          admin.createTopic(topic);
          log.info("Created Pub/Sub topic {}", topic);
          return;
        }
        String fix = PubSubErrors.fixFor(e, topic.toString());
        if (code == StatusCode.Code.NOT_FOUND) {
          throw new SinkException(
              "Pub/Sub topic " + topic + " does not exist. Fix: " + fix, e.getCause());
        }
        if (PubSubErrors.isRetryable(e)) {
          throw unreachable(topic, PubSubErrors.describe(e), e.getCause());
        }
        throw new SinkException(
            "Pub/Sub rejected the check of topic "
                + topic
                + ": "
                + PubSubErrors.describe(e)
                + (fix == null ? "" : ". Fix: " + fix),
            e.getCause());
      } catch (TimeoutException e) {
        throw unreachable(
            topic, "no answer within " + settings.startTimeout().toSeconds() + " s", e);
      } finally {
        admin.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("Interrupted while checking Pub/Sub topic " + topic, e);
    } catch (IOException e) {
      throw new SinkException(
          "Cannot set up the Pub/Sub client: "
              + e.getMessage()
              + ". Fix: provide credentials (Application Default"
              + " Credentials, GOOGLE_APPLICATION_CREDENTIALS, or credentials(...)), or use emulator(...) for local tests",
          e);
    }
  }

  private SinkException unreachable(TopicName topic, String why, @Nullable Throwable cause) {
    return new SinkException(
        "Cannot reach Pub/Sub at "
            + settings.target().description()
            + " to check topic "
            + topic
            + ": "
            + why
            + ". Fix: check the endpoint (or PUBSUB_EMULATOR_HOST), the network and any proxy",
        cause);
  }

  /**
   * Publishes a batch; the stage completes when Pub/Sub has acknowledged every message of it. Every
   * message is encoded and checked first, so a message over Pub/Sub's limits fails the batch before
   * any of it is sent.
   */
  public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
    List<TopicName> topics = new ArrayList<>(batch.size());
    List<PubsubMessage> messages = new ArrayList<>(batch.size());
    for (ChangeEvent event : batch) {
      PubsubMessage message = encoder.apply(event);
      TopicName topic = topicFor(event);
      List<String> violations = limitViolations.apply(message, event);
      if (!violations.isEmpty()) {
        TopicName deadLetterTopic = settings.deadLetterTopic();
        if (deadLetterTopic == null) {
          return CompletableFuture.failedFuture(tooLarge(event, violations));
        }
        DeadLetter letter =
            new DeadLetter(
                event,
                DeadLetter.Stage.SINK,
                String.join("; ", violations),
                MessageTooLargeException.class.getName(),
                Instant.now());
        message = DeadLetterMessage.tooLarge(letter, topic, violations);
        topic = deadLetterTopic;
      }
      topics.add(topic);
      messages.add(message);
    }
    sweepIdleLanes(messages.size());
    Acknowledgement acknowledgement = new Acknowledgement(messages.size());
    Set<PublishLane> touched = new HashSet<>();
    try {
      for (int i = 0; i < messages.size(); i++) {
        PubsubMessage message = messages.get(i);
        PublishLane lane = laneFor(topics.get(i), message.getOrderingKey());
        long size = PubSubLimits.size(message);
        lane.add(message, size, acquire(size, touched), acknowledgement);
        touched.add(lane);
      }
    } catch (InterruptedException e) {
      acknowledgement.failed(interrupted(e));
    }
    touched.forEach(PublishLane::flush);
    return acknowledgement.done();
  }

  private static SinkException interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    return new SinkException(
        "Interrupted while waiting for Pub/Sub to acknowledge earlier messages", e);
  }

  /**
   * Counts a message against the flow control. When it does not fit, the messages queued so far are
   * sent first, so that their acknowledgements can make room.
   */
  private long acquire(long size, Set<PublishLane> queuedIn) throws InterruptedException {
    long charged = limit.tryAcquire(size);
    if (charged >= 0) {
      return charged;
    }
    queuedIn.forEach(PublishLane::flush);
    return limit.acquire(size);
  }

  /**
   * Publishes a dead letter to the sink's own topic (routes and destinations do not apply): the
   * event encoded in the sink's format with the failure attributes, but without ordering key, or a
   * description of the event if its message breaks Pub/Sub's limits or cannot be encoded. The stage
   * completes when Pub/Sub has acknowledged it; transient failures are retried as for events.
   */
  public CompletionStage<Void> deliver(DeadLetter letter) {
    ChangeEvent event = letter.event();
    PubsubMessage message;
    try {
      message = DeadLetterMessage.withFailure(deadLetterEncoder.apply(event), letter);
    } catch (RuntimeException e) {
      String text =
          "Cannot encode the dead letter of the {} of {} at {} ({}); publishing a description of it instead";
      Object[] args = {event.operation(), event.table(), event.position(), e.getClass().getName()};
      if (notEncodableWarned.compareAndSet(false, true)) {
        log.warn(text, args);
      } else {
        log.debug(text, args);
      }
      message = DeadLetterMessage.notEncodable(letter, e);
    }
    List<String> violations = limitViolations.apply(message, event);
    if (!violations.isEmpty()) {
      message = DeadLetterMessage.tooLarge(letter, null, violations);
    }
    Acknowledgement acknowledgement = new Acknowledgement(1);
    PublishLane lane = unorderedLane(settings.topic());
    try {
      long size = PubSubLimits.size(message);
      lane.add(message, size, limit.acquire(size), acknowledgement);
    } catch (InterruptedException e) {
      acknowledgement.failed(interrupted(e));
    }
    lane.flush();
    return acknowledgement.done();
  }

  private MessageTooLargeException tooLarge(ChangeEvent event, List<String> violations) {
    return new MessageTooLargeException(
        String.join("; ", violations)
            + ". Fix: exclude or shrink the column with a transform (Transforms.dropColumns), or set"
            + " deadLetterTopic(...) to divert such events",
        event.table(),
        event.keyColumns(),
        event.position());
  }

  private TopicName topicFor(ChangeEvent event) {
    String chosen = event.destination().orElse(null);
    if (chosen == null && settings.router() != null) {
      chosen = settings.router().apply(event);
    }
    if (chosen == null) {
      return settings.topic();
    }
    if (chosen.startsWith("projects/")) {
      return Objects.requireNonNull(TopicName.parse(chosen), chosen);
    }
    return TopicName.of(settings.topic().getProject(), chosen);
  }

  /**
   * The lane of an ordering key, or for a message without key one of the topic's unordered lanes in
   * turn, so that those go out in several requests at once.
   */
  private PublishLane laneFor(TopicName topic, String orderingKey) {
    if (orderingKey.isEmpty()) {
      return unorderedLane(topic);
    }
    return lanes
        .computeIfAbsent(topic, t -> new ConcurrentHashMap<>())
        .computeIfAbsent(
            orderingKey,
            key -> new PublishLane(lanesShare, topic, key, error -> publishFailure(topic, error)));
  }

  private PublishLane unorderedLane(TopicName topic) {
    PublishLane[] topicLanes =
        unorderedLanes.computeIfAbsent(
            topic,
            t -> {
              PublishLane[] created = new PublishLane[UNORDERED_LANES];
              for (int i = 0; i < created.length; i++) {
                created[i] = new PublishLane(lanesShare, t, "", error -> publishFailure(t, error));
              }
              return created;
            });
    return topicLanes[Math.floorMod(unorderedTurn.getAndIncrement(), UNORDERED_LANES)];
  }

  /**
   * Forgets idle lanes now and then, so memory does not grow with the number of rows. Only the
   * delivering thread adds keyed lanes, so a lane removed here gets no new message.
   */
  private void sweepIdleLanes(int published) {
    publishedSinceSweep += published;
    if (publishedSinceSweep >= LANE_SWEEP_INTERVAL) {
      publishedSinceSweep = 0;
      lanes.values().forEach(topicLanes -> topicLanes.values().removeIf(PublishLane::isDisposable));
    }
  }

  /**
   * Keeps the sink DEGRADED while any lane retries; the pipeline logs the outage (WARN when it
   * begins, INFO when it is over), each retry's details are at DEBUG here.
   */
  private PublishLane.RetryListener retryReporting() {
    return new PublishLane.RetryListener() {
      @Override
      public void retrying(PublishLane lane, Throwable cause, long delayMillis, int attempt) {
        if (log.isDebugEnabled()) {
          log.debug(
              "Publishing to {} (ordering key '{}') failed ({}); retrying in {} ms (attempt {}), the key's later messages waiting",
              lane.topic(),
              lane.orderingKey(),
              PubSubErrors.describe(cause),
              delayMillis,
              attempt);
        }
        synchronized (retryingLanes) {
          retryingLanes.add(lane);
          context.retrying(
              "publishing to " + lane.topic() + " failed: " + PubSubErrors.describe(cause));
        }
      }

      @Override
      public void recovered(PublishLane lane) {
        log.debug(
            "Publishing to {} (ordering key '{}') succeeds again",
            lane.topic(),
            lane.orderingKey());
        synchronized (retryingLanes) {
          if (retryingLanes.remove(lane) && retryingLanes.isEmpty()) {
            context.recovered();
          }
        }
      }
    };
  }

  private SinkException publishFailure(TopicName topic, Throwable error) {
    String fix = PubSubErrors.fixFor(error, topic.toString());
    return new SinkException(
        "Publishing to Pub/Sub topic "
            + topic
            + " failed: "
            + PubSubErrors.describe(error)
            + (fix == null ? "" : ". Fix: " + fix),
        PubSubErrors.unwrap(error));
  }

  /**
   * The generated Pub/Sub client, without its own batching and retries: Datis batches per ordering
   * key and retries whole requests itself, in order. Each attempt may take up to the publish
   * timeout.
   */
  private PublisherStub newStub() {
    PublisherStubSettings.Builder builder =
        PublisherStubSettings.newBuilder()
            .setCredentialsProvider(connection.credentials())
            .setTransportChannelProvider(connection.channelProvider());
    if (connection.endpoint() != null) {
      builder.setEndpoint(connection.endpoint());
    }
    Duration timeout = settings.publishTimeout();
    builder
        .publishSettings()
        .setRetryableCodes(Set.of())
        .setRetrySettings(
            RetrySettings.newBuilder()
                .setMaxAttempts(1)
                .setInitialRpcTimeoutDuration(timeout)
                .setMaxRpcTimeoutDuration(timeout)
                .setRpcTimeoutMultiplier(1)
                .setTotalTimeoutDuration(timeout)
                .build())
        .setBatchingSettings(BatchingSettings.newBuilder().setIsEnabled(false).build());
    try {
      return GrpcPublisherStub.create(builder.build());
    } catch (IOException e) {
      throw new SinkException(
          "Cannot create the Pub/Sub client for "
              + settings.target().description()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Waits up to the close timeout for acknowledgements, then fails what is left and shuts the
   * client down.
   */
  public void close() {
    long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
    while (!allIdle() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (!allIdle()) {
      log.warn(
          "Pub/Sub sink closed with messages still unacknowledged after {}; they stay uncommitted and are"
              + " delivered again when the pipeline restarts",
          settings.closeTimeout());
    }
    SinkException closed =
        new SinkException("The Pub/Sub sink was closed before the message was acknowledged", null);
    allLanes().forEach(lane -> lane.fail(closed));
    limit.close();
    scheduler.shutdownNow();
    stub.shutdown();
    try {
      if (!stub.awaitTermination(STUB_SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn(
            "The Pub/Sub client did not shut down within {}; abandoning its calls",
            STUB_SHUTDOWN_WAIT);
        stub.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stub.shutdownNow();
    }
    connection.close();
  }

  private boolean allIdle() {
    for (PublishLane lane : allLanes()) {
      if (!lane.isIdle()) {
        return false;
      }
    }
    return true;
  }

  private List<PublishLane> allLanes() {
    List<PublishLane> all = new ArrayList<>();
    lanes.values().forEach(topicLanes -> all.addAll(topicLanes.values()));
    unorderedLanes.values().forEach(topicLanes -> all.addAll(List.of(topicLanes)));
    return all;
  }
}
