package io.datis.testkit.pubsub.internal;

import com.google.protobuf.Empty;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.DeleteSubscriptionRequest;
import com.google.pubsub.v1.GetSubscriptionRequest;
import com.google.pubsub.v1.ListSubscriptionsRequest;
import com.google.pubsub.v1.ListSubscriptionsResponse;
import com.google.pubsub.v1.ModifyAckDeadlineRequest;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.StreamingPullRequest;
import com.google.pubsub.v1.StreamingPullResponse;
import com.google.pubsub.v1.SubscriberGrpc;
import com.google.pubsub.v1.Subscription;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The Subscriber service: subscription administration, Pull, StreamingPull and acks. */
final class SubscriberService extends SubscriberGrpc.SubscriberImplBase {

  /** How long a Pull without messages waits for one, at most, before answering empty. */
  private static final long PULL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

  private static final long PULL_DEADLINE_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private static final int MAX_PULL_MESSAGES = 1000;

  private final Broker broker;
  private final Executor delivery;
  private final ScheduledExecutorService scheduler;

  SubscriberService(Broker broker, Executor delivery, ScheduledExecutorService scheduler) {
    this.broker = broker;
    this.delivery = delivery;
    this.scheduler = scheduler;
  }

  static int checkAckDeadline(int seconds) {
    if (seconds < 0 || seconds > 600) {
      throw RpcException.invalidArgument(
          "Invalid ack deadline " + seconds + ": it must be between 0 and 600 seconds");
    }
    return seconds;
  }

  @Override
  public void createSubscription(Subscription request, StreamObserver<Subscription> call) {
    Rpc.unary(call, () -> broker.createSubscription(request));
  }

  @Override
  public void getSubscription(GetSubscriptionRequest request, StreamObserver<Subscription> call) {
    Rpc.unary(call, () -> broker.getSubscription(request.getSubscription()));
  }

  @Override
  public void deleteSubscription(DeleteSubscriptionRequest request, StreamObserver<Empty> call) {
    Rpc.unary(
        call,
        () -> {
          broker.deleteSubscription(request.getSubscription());
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void listSubscriptions(
      ListSubscriptionsRequest request, StreamObserver<ListSubscriptionsResponse> call) {
    Rpc.unary(call, () -> broker.listSubscriptions(request));
  }

  @Override
  public void acknowledge(AcknowledgeRequest request, StreamObserver<Empty> call) {
    Rpc.unary(
        call,
        () -> {
          SubscriptionState subscription = broker.subscription(request.getSubscription());
          if (subscription.acknowledge(request.getAckIdsList())) {
            subscription.signalConsumers();
          }
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void modifyAckDeadline(ModifyAckDeadlineRequest request, StreamObserver<Empty> call) {
    Rpc.unary(
        call,
        () -> {
          SubscriptionState subscription = broker.subscription(request.getSubscription());
          int seconds = checkAckDeadline(request.getAckDeadlineSeconds());
          if (subscription.modifyAckDeadline(request.getAckIdsList(), seconds)) {
            subscription.signalConsumers();
          }
          return Empty.getDefaultInstance();
        });
  }

  /**
   * Answers at once with the available messages; without any, waits for one (unless the deprecated
   * {@code return_immediately} is set) for up to 5 seconds or until shortly before the call's
   * deadline, then answers empty.
   */
  @Override
  @SuppressWarnings("deprecation") // return_immediately is deprecated, but clients still send it
  public void pull(PullRequest request, StreamObserver<PullResponse> call) {
    SubscriptionState subscription;
    List<ReceivedMessage> taken;
    int maxMessages = request.getMaxMessages();
    try {
      subscription = broker.subscription(request.getSubscription());
      if (maxMessages <= 0) {
        throw RpcException.invalidArgument(
            "Invalid max_messages " + maxMessages + ": it must be positive");
      }
      maxMessages = Math.min(maxMessages, MAX_PULL_MESSAGES);
      taken = subscription.take(maxMessages);
    } catch (RpcException e) {
      call.onError(e.toStatusException());
      return;
    }
    if (!taken.isEmpty() || request.getReturnImmediately()) {
      call.onNext(PullResponse.newBuilder().addAllReceivedMessages(taken).build());
      call.onCompleted();
      return;
    }
    PullWaiter waiter = new PullWaiter(subscription, maxMessages, call, delivery);
    if (call instanceof ServerCallStreamObserver) {
      ((ServerCallStreamObserver<PullResponse>) call).setOnCancelHandler(waiter::cancelled);
    }
    long wait = PULL_WAIT_NANOS;
    Deadline deadline = Context.current().getDeadline();
    if (deadline != null) {
      wait =
          Math.min(wait, deadline.timeRemaining(TimeUnit.NANOSECONDS) - PULL_DEADLINE_MARGIN_NANOS);
    }
    subscription.attach(waiter);
    try {
      scheduler.schedule(waiter::timeOut, Math.max(0, wait), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      waiter.timeOut();
      return;
    }
    // Messages published between the first look and attach() signalled nobody.
    waiter.messagesAvailable();
  }

  @Override
  public StreamObserver<StreamingPullRequest> streamingPull(
      StreamObserver<StreamingPullResponse> call) {
    return StreamingPullSession.open(
        broker, (ServerCallStreamObserver<StreamingPullResponse>) call, delivery);
  }
}
