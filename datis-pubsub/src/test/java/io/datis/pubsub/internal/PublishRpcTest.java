package io.datis.pubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.api.gax.core.BackgroundResourceAggregation;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.testkit.pubsub.LocalPubSub;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** PublishRpc on a real gRPC channel to the local Pub/Sub server. */
class PublishRpcTest {

  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final AtomicInteger TOPICS = new AtomicInteger();

  private ManagedChannel channel;
  private final String topic = "topic-" + TOPICS.incrementAndGet();
  private final List<String> heard = new CopyOnWriteArrayList<>();

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forTarget(pubsub.hostPort()).usePlaintext().build();
    pubsub.createTopic("proj", topic);
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aPublishReportsItsMessageIdsOnce() throws Exception {
    publish(channel);

    await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty());
    Thread.sleep(200);
    assertThat(heard).containsExactly("published 1");
    assertThat(pubsub.publishedMessages("proj", topic)).hasSize(1);
  }

  @Test
  void aFailureOnTheClientAfterTheCallStartedIsReportedOnceAndNotThrown() throws Exception {
    Channel failingSend =
        ClientInterceptors.intercept(
            channel,
            new ClientInterceptor() {
              @Override
              public <Q, R> ClientCall<Q, R> interceptCall(
                  MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(
                    next.newCall(method, options)) {
                  @Override
                  public void sendMessage(Q message) {
                    throw new IllegalStateException("cannot serialize");
                  }
                };
              }
            });

    publish(failingSend);

    await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty());
    Thread.sleep(200);
    assertThat(heard).containsExactly("failed CANCELLED");
    assertThat(pubsub.publishedMessages("proj", topic)).isEmpty();
  }

  @Test
  void aStartThatFailsAfterRegisteringTheListenerIsReportedOnce() throws Exception {
    Channel failingStart =
        ClientInterceptors.intercept(
            channel,
            new ClientInterceptor() {
              @Override
              public <Q, R> ClientCall<Q, R> interceptCall(
                  MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(
                    next.newCall(method, options)) {
                  @Override
                  public void start(Listener<R> listener, Metadata headers) {
                    super.start(listener, headers);
                    throw new IllegalStateException("an interceptor failed after starting");
                  }
                };
              }
            });

    publish(failingStart, Duration.ofMillis(300));

    await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty());
    // Past the call's deadline: a call left open would close now and be heard a second time.
    Thread.sleep(1_000);
    assertThat(heard).containsExactly("failed IllegalStateException");
    assertThat(pubsub.publishedMessages("proj", topic)).isEmpty();
  }

  private void publish(Channel on) {
    publish(on, Duration.ofSeconds(5));
  }

  private void publish(Channel on, Duration timeout) {
    PublishRpc rpc =
        new PublishRpc(
            on, CallOptions.DEFAULT, timeout, new BackgroundResourceAggregation(List.of()));
    rpc.publish(
        PublishRequest.newBuilder()
            .setTopic("projects/proj/topics/" + topic)
            .addMessages(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("x")))
            .build(),
        new PublishRpc.Callback() {
          @Override
          public void published(int messageIds) {
            heard.add("published " + messageIds);
          }

          @Override
          public void failed(Throwable error) {
            heard.add(
                "failed "
                    + (error instanceof StatusRuntimeException
                        ? ((StatusRuntimeException) error).getStatus().getCode()
                        : error.getClass().getSimpleName()));
          }
        });
  }
}
