package io.datis.pubsub.internal;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.pubsub.v1.PubsubMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The messages of one ordering key on one topic, published in order and kept until Pub/Sub acknowledges
 * them. When a publish fails for a transient reason, the client pauses the key and fails the key's later
 * messages; the lane then waits until nothing of the key is in flight, backs off, resumes the key and
 * publishes every unacknowledged message again, in the original order. No message is lost or reordered,
 * and the pipeline keeps running. A failure that retrying cannot cure fails the lane's messages instead.
 *
 * <p>Messages without ordering key each get a lane of their own, so they are retried the same way but
 * independently.
 */
final class PublishLane {

  /** A message on its way, and the stage completed when Pub/Sub has acknowledged it. */
  static final class Outgoing {
    final PubsubMessage message;
    final CompletableFuture<String> acknowledged = new CompletableFuture<>();

    Outgoing(PubsubMessage message) {
      this.message = message;
    }
  }

  private final Publisher publisher;
  private final String orderingKey;
  private final ScheduledExecutorService scheduler;
  private final Backoff backoff;
  private final Function<Throwable, Throwable> fatalError;
  private final RetryListener listener;

  /** Unacknowledged messages, in publish order. */
  private final ArrayDeque<Outgoing> outstanding = new ArrayDeque<>();
  /** Messages waiting to be handed to the publisher, in order. */
  private final ArrayDeque<Outgoing> unsent = new ArrayDeque<>();
  private int inFlight;
  private boolean draining;
  private boolean failed;
  private int failedAttempts;
  private @Nullable Throwable fatal;
  private Throwable lastError = new IllegalStateException("no failure yet");
  private boolean closed;

  /** Told about retries, for logs and health. */
  interface RetryListener {
    void retrying(String orderingKey, Throwable cause, long delayMillis, int attempt);

    /** A message was acknowledged again after failures. */
    void recovered(String orderingKey);
  }

  PublishLane(
      Publisher publisher,
      String orderingKey,
      ScheduledExecutorService scheduler,
      Backoff backoff,
      Function<Throwable, Throwable> fatalError,
      RetryListener listener) {
    this.publisher = publisher;
    this.orderingKey = orderingKey;
    this.scheduler = scheduler;
    this.backoff = backoff;
    this.fatalError = fatalError;
    this.listener = listener;
  }

  /** Queues a message behind the lane's earlier ones and publishes it when its turn comes. */
  CompletableFuture<String> publish(PubsubMessage message) {
    Outgoing outgoing = new Outgoing(message);
    boolean drain;
    synchronized (this) {
      if (fatal != null) {
        outgoing.acknowledged.completeExceptionally(fatal);
        return outgoing.acknowledged;
      }
      outstanding.addLast(outgoing);
      unsent.addLast(outgoing);
      drain = !draining && !failed;
      draining |= drain;
    }
    if (drain) {
      drain();
    }
    return outgoing.acknowledged;
  }

  /** Hands unsent messages to the publisher one by one, outside the lock, until none are left. */
  private void drain() {
    while (true) {
      Outgoing next;
      synchronized (this) {
        if (failed || closed || unsent.isEmpty()) {
          draining = false;
          return;
        }
        next = unsent.pollFirst();
        inFlight++;
      }
      send(next);
    }
  }

  private void send(Outgoing outgoing) {
    ApiFuture<String> result;
    try {
      result = publisher.publish(outgoing.message);
    } catch (RuntimeException e) {
      result = ApiFutures.immediateFailedFuture(e);
    }
    ApiFutures.addCallback(
        result,
        new ApiFutureCallback<String>() {
          @Override
          public void onSuccess(String messageId) {
            acknowledged(outgoing, messageId);
          }

          @Override
          public void onFailure(Throwable error) {
            failed(error);
          }
        },
        MoreExecutors.directExecutor());
  }

  private void acknowledged(Outgoing outgoing, String messageId) {
    boolean recover;
    boolean recovered = false;
    synchronized (this) {
      inFlight--;
      outstanding.remove(outgoing);
      if (!failed) {
        recovered = failedAttempts > 0;
        failedAttempts = 0;
      }
      recover = failed && inFlight == 0 && fatal == null;
    }
    outgoing.acknowledged.complete(messageId);
    if (recovered) {
      listener.recovered(orderingKey);
    }
    if (recover) {
      scheduleRecovery();
    }
  }

  private void failed(Throwable error) {
    List<Outgoing> toFail = List.of();
    Throwable fatalCause = null;
    boolean recover;
    synchronized (this) {
      inFlight--;
      boolean firstFailure = !failed;
      failed = true;
      if (firstFailure && !PubSubErrors.isRetryable(error)) {
        fatal = fatalError.apply(error);
        fatalCause = fatal;
        toFail = new ArrayList<>(outstanding);
        outstanding.clear();
        unsent.clear();
      }
      if (firstFailure) {
        lastError = error;
      }
      recover = inFlight == 0 && fatal == null;
    }
    for (Outgoing outgoing : toFail) {
      outgoing.acknowledged.completeExceptionally(fatalCause);
    }
    if (recover) {
      scheduleRecovery();
    }
  }

  private void scheduleRecovery() {
    long delay;
    int attempt;
    Throwable cause;
    synchronized (this) {
      if (closed) {
        return;
      }
      attempt = ++failedAttempts;
      delay = backoff.delayMillis(attempt);
      cause = lastError;
    }
    listener.retrying(orderingKey, cause, delay, attempt);
    try {
      scheduler.schedule(this::recover, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the sink is closing: the unacknowledged messages stay uncommitted and are delivered again later
    }
  }

  /** Resumes the paused key and publishes every unacknowledged message again, in order. */
  private void recover() {
    if (!orderingKey.isEmpty()) {
      publisher.resumePublish(orderingKey);
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      failed = false;
      unsent.clear();
      unsent.addAll(outstanding);
      if (draining) {
        return;
      }
      draining = true;
    }
    drain();
  }

  /** Whether every message of the lane has been acknowledged (or failed for good). */
  synchronized boolean isIdle() {
    return outstanding.isEmpty();
  }

  /** Stops retrying; unacknowledged messages fail with the given cause. */
  void close(Throwable cause) {
    List<Outgoing> toFail;
    synchronized (this) {
      closed = true;
      toFail = new ArrayList<>(outstanding);
      outstanding.clear();
      unsent.clear();
    }
    for (Outgoing outgoing : toFail) {
      outgoing.acknowledged.completeExceptionally(cause);
    }
  }
}
