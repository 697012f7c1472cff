package io.datis.bench;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.SubscriptionName;
import com.google.pubsub.v1.TopicName;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The official Pub/Sub emulator, for {@code --pubsub emulator}: the one {@code
 * PUBSUB_EMULATOR_HOST} points at, else one started from the Debian package {@code
 * google-cloud-cli-pubsub-emulator} or the SDK of the {@code gcloud} on the PATH (its log goes to
 * {@code pubsub-emulator.log} in the results directory). The emulator keeps no log of a topic, so
 * {@link #createTopic} also creates a subscription, and {@link #storedMessages} pulls and
 * acknowledges everything it holds.
 */
final class EmulatorServer implements BenchPubSub {

  private static final String SDK_LAUNCHER = "platform/pubsub-emulator/bin/cloud-pubsub-emulator";
  private static final List<Path> LAUNCHERS =
      List.of(
          Path.of("/usr/lib/google-cloud-sdk", SDK_LAUNCHER),
          Path.of("/usr/share/google-cloud-sdk", SDK_LAUNCHER));

  private static final String COUNTING_SUFFIX = "-count";
  // The emulator returns at most 100 messages per pull, whatever is asked.
  private static final int PULL_BATCH = 1_000;

  private final String hostPort;
  private final @Nullable Process process;
  private final ManagedChannel channel;
  private final TopicAdminClient topics;
  private final SubscriptionAdminClient subscriptions;
  private final List<TopicName> created = new ArrayList<>();

  private EmulatorServer(String hostPort, @Nullable Process process) throws IOException {
    this.hostPort = hostPort;
    this.process = process;
    this.channel = ManagedChannelBuilder.forTarget(hostPort).usePlaintext().build();
    var channelProvider =
        FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    this.topics =
        TopicAdminClient.create(
            TopicAdminSettings.newBuilder()
                .setTransportChannelProvider(channelProvider)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
    this.subscriptions =
        SubscriptionAdminClient.create(
            SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channelProvider)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
  }

  /** Why {@code --pubsub emulator} cannot run here, or empty when it can. */
  static Optional<String> unavailableReason() {
    if (System.getenv("PUBSUB_EMULATOR_HOST") != null || launcher() != null) {
      return Optional.empty();
    }
    return Optional.of(
        "--pubsub emulator: the official Pub/Sub emulator is not installed and PUBSUB_EMULATOR_HOST"
            + " is not set. Fix: install the Debian package google-cloud-cli-pubsub-emulator (apt-get"
            + " install google-cloud-cli-pubsub-emulator, from Google Cloud's apt repository; with a"
            + " gcloud from the tarball: gcloud components install pubsub-emulator), or start an"
            + " emulator (gcloud beta emulators pubsub start --host-port=localhost:8085) and set"
            + " PUBSUB_EMULATOR_HOST=localhost:8085; or use --pubsub local.");
  }

  static EmulatorServer start(Path results) throws IOException, InterruptedException {
    String configured = System.getenv("PUBSUB_EMULATOR_HOST");
    if (configured != null) {
      System.err.println("Pub/Sub emulator: PUBSUB_EMULATOR_HOST=" + configured);
      return new EmulatorServer(configured, null);
    }
    Path launcher = launcher();
    if (launcher == null) {
      throw new IllegalStateException(unavailableReason().orElseThrow());
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Files.createDirectories(results);
    Path log = results.resolve("pubsub-emulator.log");
    Process process =
        new ProcessBuilder(launcher.toString(), "--host=127.0.0.1", "--port=" + port)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    // Not left running if the benchmark is interrupted.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(process), "pubsub-emulator-stop"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        System.err.println("Pub/Sub emulator: started " + launcher + " on port " + port);
        return new EmulatorServer("127.0.0.1:" + port, process);
      } catch (IOException notYet) {
        if (!process.isAlive()) {
          throw new IOException(
              "the Pub/Sub emulator exited with code " + process.exitValue() + "; see " + log);
        }
        Thread.sleep(200);
      }
    }
    stop(process);
    throw new IOException(
        "the Pub/Sub emulator did not listen on port " + port + " within 60 s; see " + log);
  }

  /** The Debian package's launcher, else the one next to the {@code gcloud} on the PATH. */
  private static @Nullable Path launcher() {
    List<Path> candidates = new ArrayList<>(LAUNCHERS);
    for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path gcloud = Path.of(directory, "gcloud");
      if (!directory.isEmpty() && Files.isExecutable(gcloud)) {
        try {
          // <sdk>/bin/gcloud -> <sdk>/platform/pubsub-emulator/bin/cloud-pubsub-emulator
          Path bin = gcloud.toRealPath().getParent();
          if (bin != null) {
            candidates.add(bin.resolveSibling(SDK_LAUNCHER));
          }
        } catch (IOException | RuntimeException e) {
          // not an SDK layout: skip it
        }
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
  }

  @Override
  public String name() {
    return "Pub/Sub emulator";
  }

  @Override
  public String hostPort() {
    return hostPort;
  }

  @Override
  public void createTopic(String project, String topic) {
    TopicName name = TopicName.of(project, topic);
    topics.createTopic(name);
    created.add(name);
    // Unordered and with a long deadline: only for counting, nothing is redelivered meanwhile.
    subscriptions.createSubscription(
        Subscription.newBuilder()
            .setName(counting(name).toString())
            .setTopic(name.toString())
            .setAckDeadlineSeconds(600)
            .build());
  }

  /**
   * Pulls and acknowledges until the subscription stays empty, and counts distinct message ids;
   * call it once every publish has been acknowledged. One puller: concurrent pulls are slower on
   * the emulator (about 200,000 messages in 7 s with one, 25 s with four).
   */
  @Override
  public long storedMessages(String project, String topic) {
    String subscription = counting(TopicName.of(project, topic)).toString();
    Set<String> ids = new HashSet<>();
    int emptyPulls = 0;
    while (emptyPulls < 3) {
      @SuppressWarnings("deprecation") // returnImmediately: the emulator honours it
      PullResponse response =
          subscriptions.pull(
              PullRequest.newBuilder()
                  .setSubscription(subscription)
                  .setMaxMessages(PULL_BATCH)
                  .setReturnImmediately(true)
                  .build());
      List<ReceivedMessage> received = response.getReceivedMessagesList();
      if (received.isEmpty()) {
        emptyPulls++;
        sleep(100);
        continue;
      }
      emptyPulls = 0;
      List<String> ackIds = new ArrayList<>(received.size());
      for (ReceivedMessage message : received) {
        ids.add(message.getMessage().getMessageId());
        ackIds.add(message.getAckId());
      }
      subscriptions.acknowledge(subscription, ackIds);
    }
    return ids.size();
  }

  /** The started emulator's process tree, read from {@code /proc}; -1 for one it did not start. */
  @Override
  public long cpuNanos() {
    return process == null ? -1 : CpuTime.treeNanos(process.toHandle());
  }

  @Override
  public long refusedOverKeyLimit() {
    return 0; // the emulator enforces no throughput limit
  }

  @Override
  public void reset() {
    for (TopicName name : created) {
      subscriptions.deleteSubscription(counting(name));
      topics.deleteTopic(name);
    }
    created.clear();
  }

  @Override
  public void close() {
    try {
      reset();
    } catch (RuntimeException e) {
      System.err.println("Pub/Sub emulator: cleaning up failed: " + e);
    }
    subscriptions.close();
    topics.close();
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (process != null) {
      stop(process);
    }
  }

  private static SubscriptionName counting(TopicName topic) {
    return SubscriptionName.of(topic.getProject(), topic.getTopic() + COUNTING_SUFFIX);
  }

  private static void stop(Process process) {
    if (!process.isAlive()) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while counting messages", e);
    }
  }
}
