package io.datis.pubsub.internal;

import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The messages of one ordering key on one topic (or a share of the messages without key), sent in
 * order, one Publish request in flight at a time. Pub/Sub takes one ordering key per request and
 * orders a key's messages as it receives them, so this is what keeps each key in order; messages
 * that arrive while a request is in flight wait and go together in the next one, so requests fill
 * up under load by themselves and a lone message goes out at once.
 *
 * <p>A request that fails for a transient reason is sent again, the same messages in the same
 * order, after a backoff, and nothing behind it goes first: no message is lost or reordered and the
 * pipeline keeps running. A failure that retrying cannot cure fails the lane's messages, and every
 * later one, instead.
 */
final class PublishLane {

  /** What the lanes of one sink share. */
  record Shared(
      PublishRpc rpc,
      ScheduledExecutorService scheduler,
      Backoff backoff,
      OutstandingLimit limit,
      long maxMessages,
      long maxBytes,
      RetryListener listener) {}

  /** Told about retries, for logs and health; called on the client's threads. */
  interface RetryListener {
    /** A request of the lane failed and is sent again after {@code delayMillis}. */
    void retrying(PublishLane lane, Throwable cause, long delayMillis, int attempt);

    /** A request of the lane was acknowledged again after failures. */
    void recovered(PublishLane lane);
  }

  /**
   * A message waiting in the lane.
   *
   * @param size its size as Pub/Sub counts it ({@link PubSubLimits#size}), cheaper to compute than
   *     the protobuf size, whose attribute map costs as much as encoding the row
   * @param charged what it took of the sink's {@link OutstandingLimit}
   */
  private record Queued(
      PubsubMessage message, long size, long charged, Acknowledgement acknowledgement) {}

  private record Request(List<Queued> messages, PublishRequest request, long charged) {}

  private final Shared shared;
  private final TopicName topic;
  private final String topicPath;
  private final String orderingKey;
  private final Function<Throwable, Throwable> fatalError;

  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  private @Nullable Request inFlight;
  private int failedAttempts;
  private @Nullable Throwable failure;

  /**
   * @param topicPath the topic's {@code projects/.../topics/...} path, which {@link
   *     TopicName#toString} would build again from a template for every request
   */
  PublishLane(
      Shared shared,
      TopicName topic,
      String topicPath,
      String orderingKey,
      Function<Throwable, Throwable> fatalError) {
    this.shared = shared;
    this.topic = topic;
    this.topicPath = topicPath;
    this.orderingKey = orderingKey;
    this.fatalError = fatalError;
  }

  TopicName topic() {
    return topic;
  }

  String orderingKey() {
    return orderingKey;
  }

  /**
   * Queues a message behind the lane's earlier ones; {@link #flush} sends it.
   *
   * @param size the message's {@link PubSubLimits#size}
   * @param charged what the message took of the sink's {@link OutstandingLimit}, given back once it
   *     is done
   */
  void add(PubsubMessage message, long size, long charged, Acknowledgement acknowledgement) {
    Throwable failedWith;
    synchronized (this) {
      failedWith = failure;
      if (failedWith == null) {
        queue.addLast(new Queued(message, size, charged, acknowledgement));
        return;
      }
    }
    shared.limit().release(1, charged);
    acknowledgement.failed(failedWith);
  }

  /** Sends the first queued messages, unless a request is in flight (its completion sends them). */
  void flush() {
    Request next;
    synchronized (this) {
      if (inFlight != null || failure != null || queue.isEmpty()) {
        return;
      }
      next = take();
      inFlight = next;
    }
    send(next);
  }

  /** The next request: as many queued messages as the batching limits allow, at least one. */
  private Request take() {
    int capacity = (int) Math.min(queue.size(), shared.maxMessages());
    List<Queued> taken = new ArrayList<>(capacity);
    PublishRequest.Builder request = PublishRequest.newBuilder().setTopic(topicPath);
    long bytes = 0;
    long charged = 0;
    while (taken.size() < capacity) {
      Queued next = queue.peekFirst();
      long size = requestBytes(next);
      if (!taken.isEmpty() && bytes + size > shared.maxBytes()) {
        break;
      }
      queue.pollFirst();
      taken.add(next);
      request.addMessages(next.message());
      bytes += size;
      charged += next.charged();
    }
    return new Request(taken, request.build(), charged);
  }

  /** What a message adds to a request: its size, plus protobuf's tags and lengths, generously. */
  private static long requestBytes(Queued queued) {
    return queued.size() + 16 + 8L * queued.message().getAttributesCount();
  }

  private void send(Request request) {
    PublishRpc.Callback callback =
        new PublishRpc.Callback() {
          @Override
          public void published(int messageIds) {
            if (messageIds == request.messages().size()) {
              acknowledged(request);
            } else {
              PublishLane.this.failed(
                  request,
                  new IllegalStateException(
                      "Pub/Sub returned "
                          + messageIds
                          + " message ids for "
                          + request.messages().size()
                          + " messages"));
            }
          }

          @Override
          public void failed(Throwable error) {
            PublishLane.this.failed(request, error);
          }
        };
    shared.rpc().publish(request.request(), callback);
  }

  private void acknowledged(Request request) {
    boolean recovered;
    synchronized (this) {
      if (inFlight != request) {
        return;
      }
      inFlight = null;
      recovered = failedAttempts > 0;
      failedAttempts = 0;
    }
    shared.limit().release(request.messages().size(), request.charged());
    for (Queued queued : request.messages()) {
      queued.acknowledgement().acknowledged();
    }
    try {
      if (recovered) {
        shared.listener().recovered(this);
      }
    } finally {
      flush(); // even if the listener threw: the queued messages must not wait for the next one
    }
  }

  private void failed(Request request, Throwable error) {
    if (!PubSubErrors.isRetryable(error)) {
      fail(fatalError.apply(error));
      return;
    }
    long delay;
    int attempt;
    synchronized (this) {
      if (inFlight != request) {
        return;
      }
      attempt = ++failedAttempts;
      delay = shared.backoff().delayMillis(attempt);
    }
    try {
      shared.listener().retrying(this, error, delay, attempt);
    } finally {
      scheduleRetry(
          request,
          delay); // even if the listener threw: the request must not stay in flight for ever
    }
  }

  private void scheduleRetry(Request request, long delayMillis) {
    try {
      shared.scheduler().schedule(() -> retry(request), delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the sink is closing: the unacknowledged messages stay uncommitted and are delivered again
      // later
    }
  }

  private void retry(Request request) {
    synchronized (this) {
      if (inFlight != request) {
        return;
      }
    }
    send(request);
  }

  /** Whether nothing of the lane is queued or in flight. */
  synchronized boolean isIdle() {
    return inFlight == null && queue.isEmpty();
  }

  /**
   * Whether the lane can be forgotten: idle, and not failed (a failed lane must keep failing its
   * key's later messages, or they would overtake the failed ones).
   */
  synchronized boolean isDisposable() {
    return isIdle() && failure == null;
  }

  /** Fails every queued and in-flight message, and every later one, with the given cause. */
  void fail(Throwable cause) {
    List<Queued> failed = new ArrayList<>();
    synchronized (this) {
      if (failure == null) {
        failure = cause;
      }
      if (inFlight != null) {
        failed.addAll(inFlight.messages());
        inFlight = null;
      }
      failed.addAll(queue);
      queue.clear();
    }
    long charged = 0;
    for (Queued queued : failed) {
      charged += queued.charged();
    }
    shared.limit().release(failed.size(), charged);
    for (Queued queued : failed) {
      queued.acknowledgement().failed(cause);
    }
  }
}
