package io.datis.testkit.pubsub.internal;

import com.google.protobuf.Empty;
import com.google.pubsub.v1.DeleteTopicRequest;
import com.google.pubsub.v1.GetTopicRequest;
import com.google.pubsub.v1.ListTopicSubscriptionsRequest;
import com.google.pubsub.v1.ListTopicSubscriptionsResponse;
import com.google.pubsub.v1.ListTopicsRequest;
import com.google.pubsub.v1.ListTopicsResponse;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PublisherGrpc;
import com.google.pubsub.v1.Topic;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Publisher service: topic administration and Publish, with injected faults. */
final class PublisherService extends PublisherGrpc.PublisherImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(PublisherService.class);

  private final Broker broker;
  private final Faults faults;
  private final OrderingKeyThroughput throughput;
  private final ScheduledExecutorService scheduler;

  PublisherService(
      Broker broker,
      Faults faults,
      OrderingKeyThroughput throughput,
      ScheduledExecutorService scheduler) {
    this.broker = broker;
    this.faults = faults;
    this.throughput = throughput;
    this.scheduler = scheduler;
  }

  @Override
  public void createTopic(Topic request, StreamObserver<Topic> call) {
    Rpc.unary(call, () -> broker.createTopic(request));
  }

  @Override
  public void getTopic(GetTopicRequest request, StreamObserver<Topic> call) {
    Rpc.unary(call, () -> broker.getTopic(request.getTopic()));
  }

  @Override
  public void deleteTopic(DeleteTopicRequest request, StreamObserver<Empty> call) {
    Rpc.unary(
        call,
        () -> {
          broker.deleteTopic(request.getTopic());
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> call) {
    Rpc.unary(call, () -> broker.listTopics(request));
  }

  @Override
  public void listTopicSubscriptions(
      ListTopicSubscriptionsRequest request, StreamObserver<ListTopicSubscriptionsResponse> call) {
    Rpc.unary(call, () -> broker.listTopicSubscriptions(request));
  }

  /**
   * Checks the injected faults and the ordering key's throughput limit, then stores the messages;
   * the response (or error) is sent after the injected latency, if any, so the messages are visible
   * to subscribers before it arrives.
   */
  @Override
  public void publish(PublishRequest request, StreamObserver<PublishResponse> call) {
    Status injected = faults.check(request);
    if (injected == null) {
      injected = throughput.check(request);
    }
    PublishResponse response = null;
    StatusRuntimeException error = null;
    if (injected != null) {
      error = injected.asRuntimeException();
    } else {
      try {
        response = broker.publish(request);
      } catch (RpcException e) {
        error = e.toStatusException();
      }
    }
    if (error != null) {
      faults.countFailure();
    }
    long latency = faults.latencyNanos();
    if (latency <= 0) {
      answer(call, response, error);
      return;
    }
    if (call instanceof ServerCallStreamObserver) {
      // Answering a cancelled call is then a no-op instead of an exception.
      ((ServerCallStreamObserver<PublishResponse>) call).setOnCancelHandler(() -> {});
    }
    PublishResponse delayedResponse = response;
    StatusRuntimeException delayedError = error;
    try {
      scheduler.schedule(
          () -> answer(call, delayedResponse, delayedError), latency, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The server is shutting down and cancels the call.
    }
  }

  private static void answer(
      StreamObserver<PublishResponse> call,
      @Nullable PublishResponse response,
      @Nullable StatusRuntimeException error) {
    try {
      if (error != null) {
        call.onError(error);
      } else if (response != null) {
        call.onNext(response);
        call.onCompleted();
      }
    } catch (RuntimeException e) {
      LOG.debug("Could not answer a publish", e);
    }
  }
}
