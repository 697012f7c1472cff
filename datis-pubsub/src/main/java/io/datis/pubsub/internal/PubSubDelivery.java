package io.datis.pubsub.internal;

import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.SinkContext;
import io.datis.pubsub.MessageTooLargeException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pub/Sub sink while it is open: one {@link Publisher} per topic, one {@link PublishLane} per ordering
 * key, a batch's stage completing when every one of its messages is acknowledged. Also publishes dead
 * letters, when the sink serves as a pipeline's dead-letter sink.
 */
public final class PubSubDelivery {

  private static final Logger log = LoggerFactory.getLogger(PubSubDelivery.class);

  /** Idle lanes are forgotten every this many publishes, so memory does not grow with the number of rows. */
  private static final int LANE_SWEEP_INTERVAL = 10_000;

  /** How long closing waits for the publishers to shut down, after the close timeout. */
  private static final Duration PUBLISHER_SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final PubSubSettings settings;
  private final boolean ordering;
  private final Function<ChangeEvent, PubsubMessage> encoder;
  private final Function<ChangeEvent, PubsubMessage> deadLetterEncoder;
  private final BiFunction<PubsubMessage, ChangeEvent, List<String>> limitViolations;
  private final PubSubConnection connection;
  private final ScheduledExecutorService scheduler;
  private final Map<TopicName, Publisher> publishers = new ConcurrentHashMap<>();
  private final Map<TopicName, Map<String, PublishLane>> lanes = new ConcurrentHashMap<>();
  /** Lanes of messages without ordering key, each until its message is acknowledged. */
  private final java.util.Set<PublishLane> unorderedLanes = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean retryWarned = new AtomicBoolean();
  private final AtomicBoolean notEncodableWarned = new AtomicBoolean();
  private final Backoff backoff;
  private final SinkContext context;
  /** Lanes whose messages are being retried, by topic and ordering key; the sink is DEGRADED meanwhile. */
  private final java.util.Set<String> retryingLanes = ConcurrentHashMap.newKeySet();
  private int publishesSinceSweep;

  /**
   * Connects and checks that the default topic exists (creating it if so configured).
   *
   * @param encoder turns an event into its message, ordering key included
   * @param deadLetterEncoder turns the event of a dead letter into its message, without ordering key
   * @param limitViolations Pub/Sub limits a message breaks, described without row values
   */
  public PubSubDelivery(
      PubSubSettings settings,
      SinkContext context,
      boolean ordering,
      Function<ChangeEvent, PubsubMessage> encoder,
      Function<ChangeEvent, PubsubMessage> deadLetterEncoder,
      BiFunction<PubsubMessage, ChangeEvent, List<String>> limitViolations) {
    this.settings = settings;
    this.context = context;
    this.ordering = ordering;
    this.encoder = encoder;
    this.deadLetterEncoder = deadLetterEncoder;
    this.limitViolations = limitViolations;
    this.backoff = new Backoff(settings.retryInitialBackoff(), settings.retryMaxBackoff());
    this.connection = new PubSubConnection(settings, new PublishAttempts(transportOutcomes()));
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "datis-pubsub-retry");
              thread.setDaemon(true);
              return thread;
            });
    try {
      checkTopic(settings.topic());
      if (settings.deadLetterTopic() != null) {
        checkTopic(settings.deadLetterTopic());
      }
      publishers.computeIfAbsent(settings.topic(), this::newPublisher);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void checkTopic(TopicName topic) {
    try (TopicAdminClient admin = connection.topicAdmin()) {
      try {
        admin.getTopicCallable().futureCall(com.google.pubsub.v1.GetTopicRequest.newBuilder().setTopic(topic.toString()).build())
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
          throw new SinkException("Pub/Sub topic " + topic + " does not exist. Fix: " + fix, e.getCause());
        }
        if (PubSubErrors.isRetryable(e)) {
          throw unreachable(topic, PubSubErrors.describe(e), e.getCause());
        }
        throw new SinkException(
            "Pub/Sub rejected the check of topic " + topic + ": " + PubSubErrors.describe(e) + (fix == null ? "" : ". Fix: " + fix),
            e.getCause());
      } catch (TimeoutException e) {
        throw unreachable(topic, "no answer within " + settings.startTimeout().toSeconds() + " s", e);
      } finally {
        admin.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("Interrupted while checking Pub/Sub topic " + topic, e);
    } catch (IOException e) {
      throw new SinkException(
          "Cannot set up the Pub/Sub client: " + e.getMessage() + ". Fix: provide credentials (Application Default"
              + " Credentials, GOOGLE_APPLICATION_CREDENTIALS, or credentials(...)), or use emulator(...) for local tests",
          e);
    }
  }

  private SinkException unreachable(TopicName topic, String why, @Nullable Throwable cause) {
    return new SinkException(
        "Cannot reach Pub/Sub at "
            + settings.describeEndpoint()
            + " to check topic "
            + topic
            + ": "
            + why
            + ". Fix: check the endpoint (or PUBSUB_EMULATOR_HOST), the network and any proxy",
        cause);
  }

  /** Publishes a batch; the stage completes when Pub/Sub has acknowledged every message of it. */
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
    CompletableFuture<?>[] acknowledgements = new CompletableFuture<?>[messages.size()];
    for (int i = 0; i < messages.size(); i++) {
      acknowledgements[i] = publish(topics.get(i), messages.get(i));
    }
    return CompletableFuture.allOf(acknowledgements);
  }

  /**
   * Publishes a dead letter to the sink's own topic (routes and destinations do not apply): the event
   * encoded in the sink's format with the failure attributes, but without ordering key, or a
   * description of the event if its message breaks Pub/Sub's limits or cannot be encoded. The stage
   * completes when Pub/Sub has acknowledged it; transient failures are retried as for events.
   */
  public CompletionStage<Void> deliver(DeadLetter letter) {
    ChangeEvent event = letter.event();
    PubsubMessage message;
    try {
      message = DeadLetterMessage.withFailure(deadLetterEncoder.apply(event), letter);
    } catch (RuntimeException e) {
      String text = "Cannot encode the dead letter of the {} of {} at {} ({}); publishing a description of it instead";
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
    return publish(settings.topic(), message).thenApply(messageId -> null);
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
    return chosen.startsWith("projects/") ? TopicName.parse(chosen) : TopicName.of(settings.topic().getProject(), chosen);
  }

  private CompletableFuture<String> publish(TopicName topic, PubsubMessage message) {
    Publisher publisher = publishers.computeIfAbsent(topic, this::newPublisher);
    String orderingKey = message.getOrderingKey();
    if (orderingKey.isEmpty()) {
      PublishLane lane = newLane(publisher, topic, orderingKey);
      unorderedLanes.add(lane);
      CompletableFuture<String> acknowledged = lane.publish(message);
      acknowledged.whenComplete((id, error) -> unorderedLanes.remove(lane));
      return acknowledged;
    }
    // Only the delivering thread adds lanes, so an idle lane removed here gets no new message.
    if (++publishesSinceSweep >= LANE_SWEEP_INTERVAL) {
      publishesSinceSweep = 0;
      lanes.values().forEach(topicLanes -> topicLanes.values().removeIf(PublishLane::isIdle));
    }
    Map<String, PublishLane> topicLanes = lanes.computeIfAbsent(topic, t -> new ConcurrentHashMap<>());
    return topicLanes.computeIfAbsent(orderingKey, key -> newLane(publisher, topic, key)).publish(message);
  }

  private PublishLane newLane(Publisher publisher, TopicName topic, String orderingKey) {
    return new PublishLane(
        publisher,
        orderingKey,
        scheduler,
        backoff,
        error -> publishFailure(topic, error),
        new PublishLane.RetryListener() {
          @Override
          public void retrying(String key, Throwable cause, long delayMillis, int attempt) {
            String text =
                "Publishing to {} failed ({}); retrying in {} ms (attempt {}){}";
            Object[] args = {
              topic, PubSubErrors.describe(cause), delayMillis, attempt, key.isEmpty() ? "" : ", ordering key paused and resumed"
            };
            if (retryWarned.compareAndSet(false, true)) {
              log.warn(text, args);
            } else {
              log.debug(text, args);
            }
            retryingLanes.add(topic + "|" + key);
            context.retrying("publishing to " + topic + " failed: " + PubSubErrors.describe(cause));
          }

          @Override
          public void recovered(String key) {
            log.debug("Publishing to {} (ordering key '{}') succeeds again", topic, key);
            if (retryingLanes.remove(topic + "|" + key) && retryingLanes.isEmpty()) {
              context.recovered();
            }
          }
        });
  }

  /**
   * Publish attempts that fail on the wire, which the client may retry by itself without telling
   * (it does, for ever, with message ordering on): the sink is retrying until an attempt succeeds.
   */
  private PublishAttempts.Outcomes transportOutcomes() {
    String marker = "transport";
    return new PublishAttempts.Outcomes() {
      @Override
      public void failed(io.grpc.Status status) {
        String reason = "publishing to Pub/Sub failed: " + status.getCode() + (status.getDescription() == null ? "" : " " + status.getDescription());
        if (retryWarned.compareAndSet(false, true)) {
          log.warn("{}; the client retries (further failures are logged at DEBUG)", reason);
        } else {
          log.debug(reason);
        }
        retryingLanes.add(marker);
        context.retrying(reason);
      }

      @Override
      public void succeeded() {
        if (retryingLanes.remove(marker)) {
          log.info("Publishing to Pub/Sub succeeds again");
          if (retryingLanes.isEmpty()) {
            context.recovered();
          }
        }
      }
    };
  }

  private SinkException publishFailure(TopicName topic, Throwable error) {
    String fix = PubSubErrors.fixFor(error, topic.toString());
    return new SinkException(
        "Publishing to Pub/Sub topic " + topic + " failed: " + PubSubErrors.describe(error) + (fix == null ? "" : ". Fix: " + fix),
        PubSubErrors.unwrap(error));
  }

  private Publisher newPublisher(TopicName topic) {
    Publisher.Builder builder =
        Publisher.newBuilder(topic)
            .setCredentialsProvider(connection.credentials())
            .setEnableMessageOrdering(ordering && !topic.equals(settings.deadLetterTopic()))
            .setEnableCompression(settings.compression())
            .setBatchingSettings(
                BatchingSettings.newBuilder()
                    .setElementCountThreshold(settings.batchMaxMessages())
                    .setRequestByteThreshold(settings.batchMaxBytes())
                    .setDelayThresholdDuration(settings.batchMaxDelay())
                    .setFlowControlSettings(
                        FlowControlSettings.newBuilder()
                            .setMaxOutstandingElementCount(settings.maxOutstandingMessages())
                            .setMaxOutstandingRequestBytes(settings.maxOutstandingBytes())
                            .setLimitExceededBehavior(FlowController.LimitExceededBehavior.Block)
                            .build())
                    .build())
            .setRetrySettings(retrySettings(settings.publishTimeout()));
    builder.setChannelProvider(connection.channelProvider());
    if (connection.endpoint() != null) {
      builder.setEndpoint(connection.endpoint());
    }
    try {
      return builder.build();
    } catch (IOException e) {
      throw new SinkException("Cannot create a Pub/Sub publisher for " + topic + ": " + e.getMessage(), e);
    }
  }

  private static RetrySettings retrySettings(Duration publishTimeout) {
    return RetrySettings.newBuilder()
        .setInitialRetryDelayDuration(Duration.ofMillis(100))
        .setRetryDelayMultiplier(2)
        .setMaxRetryDelayDuration(Duration.ofSeconds(5))
        .setInitialRpcTimeoutDuration(Duration.ofSeconds(10).compareTo(publishTimeout) < 0 ? Duration.ofSeconds(10) : publishTimeout)
        .setRpcTimeoutMultiplier(1)
        .setMaxRpcTimeoutDuration(publishTimeout)
        .setTotalTimeoutDuration(publishTimeout)
        .build();
  }

  /** Flushes, waits up to the close timeout for acknowledgements, then shuts every publisher down. */
  public void close() {
    publishers.values().forEach(Publisher::publishAllOutstanding);
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
    SinkException closed = new SinkException("The Pub/Sub sink was closed before the message was acknowledged", null);
    lanes.values().forEach(topicLanes -> topicLanes.values().forEach(lane -> lane.close(closed)));
    unorderedLanes.forEach(lane -> lane.close(closed));
    scheduler.shutdownNow();
    shutDownPublishers();
    publishers.clear();
    connection.close();
  }

  /**
   * {@link Publisher#shutdown()} waits for every outstanding publish, without a bound: run it on a helper
   * thread and give up after a few seconds, so that closing never hangs on an unreachable service.
   */
  private void shutDownPublishers() {
    Thread stopper =
        new Thread(
            () -> {
              for (Publisher publisher : publishers.values()) {
                publisher.shutdown();
                try {
                  publisher.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
              }
            },
            "datis-pubsub-shutdown");
    stopper.setDaemon(true);
    stopper.start();
    try {
      stopper.join(PUBLISHER_SHUTDOWN_WAIT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (stopper.isAlive()) {
      log.warn("Pub/Sub publishers did not shut down within {}; abandoning their outstanding publishes", PUBLISHER_SHUTDOWN_WAIT);
      stopper.interrupt();
    }
  }

  private boolean allIdle() {
    for (Map<String, PublishLane> topicLanes : lanes.values()) {
      for (PublishLane lane : topicLanes.values()) {
        if (!lane.isIdle()) {
          return false;
        }
      }
    }
    return unorderedLanes.isEmpty();
  }
}
