package io.datis.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.SinkContext;
import io.datis.pubsub.MessageTooLargeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pub/Sub sink while it is open: one {@link PublishLane} per ordering key and topic over one
 * Pub/Sub client, a batch's stage completing when every one of its messages is acknowledged. Also
 * publishes dead letters, when the sink serves as a pipeline's dead-letter sink.
 *
 * <p>Datis makes the Publish calls itself ({@link PublishRpc}) rather than through the client's
 * {@code Publisher}: the {@code Publisher} keeps a batch, a future and a callback per message and
 * waits for its batching delay before a key's next request, which with one ordering key per row
 * made publishing, not capture, the bottleneck.
 */
public final class PubSubDelivery {

  private static final Logger log = LoggerFactory.getLogger(PubSubDelivery.class);

  /** How long closing waits for the client to shut down, after the close timeout. */
  private static final Duration STUB_SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final PubSubSettings settings;
  private final Function<ChangeEvent, PubsubMessage> encoder;
  private final Function<ChangeEvent, PubsubMessage> deadLetterEncoder;
  private final PubSubConnection connection;
  private final ScheduledExecutorService scheduler;
  private final OutstandingLimit limit;
  private final PublishRpc rpc;
  private final PublishLanes lanes;
  private final AtomicBoolean notEncodableWarned = new AtomicBoolean();

  /**
   * Connects and checks that the default topic exists (creating it if so configured).
   *
   * @param encoder turns an event into its message, ordering key included
   * @param deadLetterEncoder turns the event of a dead letter into its message, without ordering
   *     key
   */
  public PubSubDelivery(
      PubSubSettings settings,
      SinkContext context,
      Function<ChangeEvent, PubsubMessage> encoder,
      Function<ChangeEvent, PubsubMessage> deadLetterEncoder) {
    this.settings = settings;
    this.encoder = encoder;
    this.deadLetterEncoder = deadLetterEncoder;
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
      this.rpc = connection.publishRpc(settings.publishTimeout(), settings.compression());
    } catch (RuntimeException e) {
      scheduler.shutdownNow();
      connection.close();
      throw e;
    }
    this.lanes =
        new PublishLanes(
            new PublishLane.Shared(
                rpc,
                scheduler,
                new Backoff(settings.retryInitialBackoff(), settings.retryMaxBackoff()),
                limit,
                settings.batchMaxMessages(),
                settings.batchMaxBytes(),
                new RetryReporting(context)));
    try {
      TopicCheck topics = new TopicCheck(settings, connection);
      topics.require(settings.topic());
      TopicName deadLetterTopic = settings.deadLetterTopic();
      if (deadLetterTopic != null) {
        topics.require(deadLetterTopic);
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

  /**
   * Publishes a batch; the stage completes when Pub/Sub has acknowledged every message of it. Every
   * message is encoded and checked first, so a message over Pub/Sub's limits fails the batch before
   * any of it is sent.
   */
  public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
    List<TopicName> topics = new ArrayList<>(batch.size());
    List<PubsubMessage> messages = new ArrayList<>(batch.size());
    long[] sizes = new long[batch.size()];
    for (ChangeEvent event : batch) {
      PubsubMessage message = encoder.apply(event);
      TopicName topic = topicFor(event);
      long size = PubSubLimits.sizeWithinLimits(message);
      List<String> violations = size >= 0 ? List.of() : PubSubLimits.violations(message, event);
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
      sizes[messages.size()] = size >= 0 ? size : PubSubLimits.size(message);
      topics.add(topic);
      messages.add(message);
    }
    lanes.sweepIdle(messages.size());
    Acknowledgement acknowledgement = new Acknowledgement(messages.size());
    Set<PublishLane> touched = new HashSet<>();
    try {
      for (int i = 0; i < messages.size(); i++) {
        PubsubMessage message = messages.get(i);
        PublishLane lane = lanes.of(topics.get(i), message.getOrderingKey());
        lane.add(message, sizes[i], acquire(sizes[i], touched), acknowledgement);
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
    List<String> violations = PubSubLimits.violations(message, event);
    if (!violations.isEmpty()) {
      message = DeadLetterMessage.tooLarge(letter, null, violations);
    }
    Acknowledgement acknowledgement = new Acknowledgement(1);
    PublishLane lane = lanes.unordered(settings.topic());
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
   * Waits up to the close timeout for acknowledgements, then fails what is left and shuts the
   * client down.
   */
  public void close() {
    long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
    while (!lanes.allIdle() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (!lanes.allIdle()) {
      log.warn(
          "Pub/Sub sink closed with messages still unacknowledged after {}; they stay uncommitted and are"
              + " delivered again when the pipeline restarts",
          settings.closeTimeout());
    }
    SinkException closed =
        new SinkException("The Pub/Sub sink was closed before the message was acknowledged", null);
    lanes.failAll(closed);
    limit.close();
    scheduler.shutdownNow();
    try {
      if (!rpc.shutdown(STUB_SHUTDOWN_WAIT)) {
        log.warn(
            "The Pub/Sub client did not shut down within {}; abandoning its calls",
            STUB_SHUTDOWN_WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      rpc.close();
    }
    connection.close();
  }
}
