package io.datis.pubsub.it;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.SubscriptionName;
import com.google.pubsub.v1.TopicName;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The official Pub/Sub emulator: the one {@code PUBSUB_EMULATOR_HOST} points at, or one started
 * from the Debian package {@code google-cloud-cli-pubsub-emulator} when it is installed.
 */
final class OfficialEmulator implements AutoCloseable {

  private static final List<Path> LAUNCHERS =
      List.of(
          Path.of("/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"),
          Path.of(
              "/usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"));

  private final String hostPort;
  private final @Nullable Process process;
  private final ManagedChannel channel;

  private OfficialEmulator(String hostPort, @Nullable Process process) {
    this.hostPort = hostPort;
    this.process = process;
    this.channel = ManagedChannelBuilder.forTarget(hostPort).usePlaintext().build();
  }

  /** Why the emulator cannot be used here, or empty when it can. */
  static Optional<String> unavailableReason() {
    if (System.getenv("PUBSUB_EMULATOR_HOST") != null || launcher() != null) {
      return Optional.empty();
    }
    return Optional.of(
        "the official Pub/Sub emulator is not installed (Debian package google-cloud-cli-pubsub-emulator)"
            + " and PUBSUB_EMULATOR_HOST is not set");
  }

  static OfficialEmulator start() throws IOException, InterruptedException {
    String configured = System.getenv("PUBSUB_EMULATOR_HOST");
    if (configured != null) {
      return new OfficialEmulator(configured, null);
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path launcher = launcher();
    Process process =
        new ProcessBuilder(launcher.toString(), "--host=127.0.0.1", "--port=" + port)
            .redirectErrorStream(true)
            .redirectOutput(Files.createTempFile("pubsub-emulator", ".log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        return new OfficialEmulator("127.0.0.1:" + port, process);
      } catch (IOException notYet) {
        if (!process.isAlive()) {
          throw new IOException("the Pub/Sub emulator exited with code " + process.exitValue());
        }
        Thread.sleep(200);
      }
    }
    process.destroyForcibly();
    throw new IOException("the Pub/Sub emulator did not listen on port " + port + " within 60 s");
  }

  private static @Nullable Path launcher() {
    return LAUNCHERS.stream().filter(Files::isExecutable).findFirst().orElse(null);
  }

  String hostPort() {
    return hostPort;
  }

  void createTopic(String project, String topic) throws IOException {
    try (TopicAdminClient admin =
        TopicAdminClient.create(
            TopicAdminSettings.newBuilder()
                .setTransportChannelProvider(channelProvider())
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build())) {
      admin.createTopic(TopicName.of(project, topic));
    }
  }

  void createOrderedSubscription(String project, String subscription, String topic)
      throws IOException {
    try (SubscriptionAdminClient admin =
        SubscriptionAdminClient.create(
            SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channelProvider())
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build())) {
      admin.createSubscription(
          Subscription.newBuilder()
              .setName(SubscriptionName.of(project, subscription).toString())
              .setTopic(TopicName.of(project, topic).toString())
              .setEnableMessageOrdering(true)
              .setAckDeadlineSeconds(60)
              .build());
    }
  }

  private FixedTransportChannelProvider channelProvider() {
    return FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (process != null) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    }
  }
}
