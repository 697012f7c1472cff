package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Pull call that found no message and waits for one, until its timeout answers it with an empty
 * response. Answered exactly once: {@link #done} is guarded by the subscription's monitor.
 */
final class PullWaiter implements Consumer {

  private static final Logger LOG = LoggerFactory.getLogger(PullWaiter.class);

  final int maxMessages;
  boolean done;

  private final SubscriptionState subscription;
  private final StreamObserver<PullResponse> call;
  private final Executor executor;

  PullWaiter(
      SubscriptionState subscription,
      int maxMessages,
      StreamObserver<PullResponse> call,
      Executor executor) {
    this.subscription = subscription;
    this.maxMessages = maxMessages;
    this.call = call;
    this.executor = executor;
  }

  @Override
  public void messagesAvailable() {
    try {
      executor.execute(this::tryDeliver);
    } catch (RejectedExecutionException e) {
      // The server is shutting down and cancels the call.
    }
  }

  private void tryDeliver() {
    List<ReceivedMessage> taken = subscription.take(this);
    if (!taken.isEmpty()) {
      subscription.detach(this);
      answer(PullResponse.newBuilder().addAllReceivedMessages(taken).build());
    }
  }

  /** Answers with no messages, unless already answered. */
  void timeOut() {
    if (subscription.finish(this)) {
      subscription.detach(this);
      answer(PullResponse.getDefaultInstance());
    }
  }

  void cancelled() {
    subscription.finish(this);
    subscription.detach(this);
  }

  @Override
  public void subscriptionDeleted(RpcException notFound) {
    if (subscription.finish(this)) {
      try {
        call.onError(notFound.toStatusException());
      } catch (RuntimeException e) {
        LOG.debug("Could not fail a pull", e);
      }
    }
  }

  private void answer(PullResponse response) {
    try {
      call.onNext(response);
      call.onCompleted();
    } catch (RuntimeException e) {
      // Cancelled meanwhile; the leases, if any, expire and the messages are delivered again.
      LOG.debug("Could not answer a pull", e);
    }
  }
}
