package io.datis.pubsub.it;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.pubsub.v1.ProjectSubscriptionName;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.testkit.pubsub.LocalPubSub;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;

/**
 * A real streaming-pull Subscriber that records every message it receives, in the order received.
 */
final class Subscription implements AutoCloseable {

  private final ManagedChannel channel;
  private final Subscriber subscriber;
  private final List<PubsubMessage> received = new ArrayList<>();

  private Subscription(String hostPort, String project, String subscription) {
    this(hostPort, project, subscription, null);
  }

  private Subscription(
      String hostPort, String project, String subscription, @Nullable OpenTelemetry tracing) {
    channel =
        ManagedChannelBuilder.forTarget(hostPort)
            .usePlaintext()
            .maxInboundMessageSize(20 << 20)
            .build();
    subscriber =
        Subscriber.newBuilder(
                ProjectSubscriptionName.of(project, subscription),
                (MessageReceiver)
                    (message, consumer) -> {
                      synchronized (received) {
                        received.add(message);
                      }
                      consumer.ack();
                    })
            .setChannelProvider(
                FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
            .setCredentialsProvider(NoCredentialsProvider.create())
            .setEnableOpenTelemetryTracing(tracing != null)
            .setOpenTelemetry(tracing == null ? OpenTelemetry.noop() : tracing)
            .build();
    subscriber.startAsync().awaitRunning();
  }

  /** Creates an ordered subscription on the topic and starts receiving. */
  static Subscription ordered(
      LocalPubSub pubsub, String project, String topic, String subscription) {
    pubsub.createSubscription(project, subscription, topic, true);
    return new Subscription(pubsub.hostPort(), project, subscription);
  }

  /**
   * Creates an ordered subscription on the topic and starts receiving with the client library's
   * OpenTelemetry tracing on.
   */
  static Subscription traced(
      LocalPubSub pubsub,
      String project,
      String topic,
      String subscription,
      OpenTelemetry openTelemetry) {
    pubsub.createSubscription(project, subscription, topic, true);
    return new Subscription(pubsub.hostPort(), project, subscription, openTelemetry);
  }

  /** Starts receiving from an existing subscription of the server at {@code hostPort}. */
  static Subscription existing(String hostPort, String project, String subscription) {
    return new Subscription(hostPort, project, subscription);
  }

  List<PubsubMessage> messages() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  List<PubsubMessage> await(Predicate<List<PubsubMessage>> condition, Duration timeout) {
    Awaitility.await()
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> condition.test(messages()));
    return messages();
  }

  @Override
  public void close() throws InterruptedException {
    subscriber.stopAsync().awaitTerminated();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
