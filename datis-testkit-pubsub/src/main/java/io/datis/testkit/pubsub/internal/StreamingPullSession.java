package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.StreamingPullRequest;
import com.google.pubsub.v1.StreamingPullResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One StreamingPull call. The first request names the subscription and the stream's ack deadline
 * and flow control; every request may carry acks and deadline changes. Responses are sent by a
 * drain loop on the delivery executor, at most one at a time per stream, while the transport is
 * ready and the client's flow control (max outstanding messages and bytes) allows.
 */
final class StreamingPullSession implements StreamObserver<StreamingPullRequest>, Consumer {

  private static final Logger LOG = LoggerFactory.getLogger(StreamingPullSession.class);

  private final Broker broker;
  private final ServerCallStreamObserver<StreamingPullResponse> call;
  private final Executor executor;
  private final AtomicInteger drainRequests = new AtomicInteger();
  private final Object sendLock = new Object();
  private volatile @Nullable SubscriptionState subscription;
  private volatile boolean closed;

  // Set once before the session is attached to its subscription.
  long maxMessages;
  long maxBytes;
  int ackDeadlineSeconds;

  // Guarded by the subscription's monitor.
  long leasedMessages;
  long leasedBytes;

  private StreamingPullSession(
      Broker broker, ServerCallStreamObserver<StreamingPullResponse> call, Executor executor) {
    this.broker = broker;
    this.call = call;
    this.executor = executor;
  }

  static StreamingPullSession open(
      Broker broker, ServerCallStreamObserver<StreamingPullResponse> call, Executor executor) {
    StreamingPullSession session = new StreamingPullSession(broker, call, executor);
    call.setOnReadyHandler(session::messagesAvailable);
    call.setOnCancelHandler(session::cancelled);
    return session;
  }

  @Override
  public void onNext(StreamingPullRequest request) {
    try {
      SubscriptionState current = subscription;
      if (current == null) {
        current = attach(request);
      }
      boolean wake = false;
      if (request.getAckIdsCount() > 0) {
        wake = current.acknowledge(request.getAckIdsList());
      }
      int changes = request.getModifyDeadlineAckIdsCount();
      if (changes != request.getModifyDeadlineSecondsCount()) {
        throw RpcException.invalidArgument(
            "modify_deadline_ack_ids and modify_deadline_seconds must have the same length, got "
                + changes
                + " and "
                + request.getModifyDeadlineSecondsCount());
      }
      for (int i = 0; i < changes; i++) {
        int seconds = SubscriberService.checkAckDeadline(request.getModifyDeadlineSeconds(i));
        wake |= current.modifyAckDeadline(List.of(request.getModifyDeadlineAckIds(i)), seconds);
      }
      if (wake) {
        current.signalConsumers();
      }
    } catch (RpcException e) {
      fail(e.toStatusException());
    }
  }

  private SubscriptionState attach(StreamingPullRequest request) {
    String name = request.getSubscription();
    if (name.isEmpty()) {
      throw RpcException.invalidArgument(
          "The first StreamingPullRequest of a stream must set subscription");
    }
    SubscriptionState target = broker.subscription(name);
    int deadline = request.getStreamAckDeadlineSeconds();
    if (deadline < 10 || deadline > 600) {
      throw RpcException.invalidArgument(
          "Invalid stream_ack_deadline_seconds "
              + deadline
              + ": the first StreamingPullRequest must set it between 10 and 600");
    }
    maxMessages = Math.max(0, request.getMaxOutstandingMessages());
    maxBytes = Math.max(0, request.getMaxOutstandingBytes());
    ackDeadlineSeconds = deadline;
    subscription = target;
    target.attach(this);
    messagesAvailable();
    return target;
  }

  @Override
  public void onError(Throwable t) {
    // The client cancelled or broke the stream; leased messages expire as usual.
    closed = true;
    detach();
  }

  @Override
  public void onCompleted() {
    synchronized (sendLock) {
      if (!closed) {
        closed = true;
        try {
          call.onCompleted();
        } catch (RuntimeException e) {
          LOG.debug("Could not complete a streaming pull", e);
        }
      }
    }
    detach();
  }

  @Override
  public void subscriptionDeleted(RpcException notFound) {
    fail(notFound.toStatusException());
  }

  @Override
  public void messagesAvailable() {
    if (drainRequests.getAndIncrement() == 0) {
      try {
        executor.execute(this::drain);
      } catch (RejectedExecutionException e) {
        // The server is shutting down.
        drainRequests.set(0);
      }
    }
  }

  private void drain() {
    int missed = 1;
    while (true) {
      try {
        send();
      } catch (RuntimeException e) {
        LOG.warn("Streaming pull delivery failed; closing the stream", e);
        fail(Status.INTERNAL.withDescription("LocalPubSub: " + e).asRuntimeException());
      }
      missed = drainRequests.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
    }
  }

  private void send() {
    SubscriptionState current = subscription;
    if (current == null) {
      return;
    }
    while (!closed && call.isReady()) {
      List<ReceivedMessage> batch = current.take(this);
      if (batch.isEmpty()) {
        return;
      }
      StreamingPullResponse response =
          StreamingPullResponse.newBuilder()
              .addAllReceivedMessages(batch)
              .setSubscriptionProperties(current.properties())
              .build();
      synchronized (sendLock) {
        if (closed) {
          // The leases expire and the messages are delivered again.
          return;
        }
        call.onNext(response);
      }
    }
  }

  private void cancelled() {
    closed = true;
    detach();
  }

  private void fail(StatusRuntimeException error) {
    synchronized (sendLock) {
      if (!closed) {
        closed = true;
        try {
          call.onError(error);
        } catch (RuntimeException e) {
          LOG.debug("Could not fail a streaming pull", e);
        }
      }
    }
    detach();
  }

  private void detach() {
    SubscriptionState current = subscription;
    if (current != null) {
      current.detach(this);
    }
  }
}
