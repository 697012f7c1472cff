package io.datis.bench;

import io.datis.testkit.pubsub.LocalPubSub;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The Pub/Sub server that scenarios 4 and 5 (and the latency mode) publish to, chosen with {@code
 * --pubsub}: the testkit's in-process {@link LocalPubSub}, or the official emulator ({@link
 * EmulatorServer}).
 */
interface BenchPubSub extends AutoCloseable {

  /**
   * Starts the server {@code --pubsub} names: {@code local} (with Pub/Sub's 1 MB/s per ordering key
   * unless {@code --pubsub-key-limit off}) or {@code emulator}.
   */
  static BenchPubSub open(BenchOptions options, Path results)
      throws IOException, InterruptedException {
    return options.pubsub.equals("emulator")
        ? EmulatorServer.start(results)
        : new Local(options.pubsubKeyLimit ? LocalPubSub.ORDERING_KEY_BYTES_PER_SECOND : 0);
  }

  /** How tables and notes name it, e.g. {@code LocalPubSub}. */
  String name();

  /** {@code host:port}, as {@code PubSubSink.Builder.emulator} takes it. */
  String hostPort();

  /**
   * Creates a topic; messages published to it from then on are counted by {@link #storedMessages}.
   */
  void createTopic(String project, String topic);

  /** How many distinct messages the topic has stored since {@link #createTopic}. */
  long storedMessages(String project, String topic);

  /**
   * The CPU time, in nanoseconds, the server's process has consumed so far, or negative if unknown.
   */
  long cpuNanos();

  /**
   * How many Publish calls it refused since the last {@link #reset} for going over the throughput
   * limit of an ordering key; 0 for a server without the limit.
   */
  long refusedOverKeyLimit();

  /** Deletes the topics created here and what they stored. */
  void reset();

  @Override
  void close();

  /**
   * The testkit's server, in this JVM: it keeps every published message, so nothing is pulled. Its
   * CPU time is this JVM's, which does little else while a scenario runs.
   */
  final class Local implements BenchPubSub {

    private final LocalPubSub server = LocalPubSub.create().start();
    private final long keyLimit;

    /**
     * @param keyLimit bytes per second per ordering key, 0 for none
     */
    Local(long keyLimit) {
      this.keyLimit = keyLimit;
      server.limitOrderingKeyThroughput(keyLimit);
    }

    @Override
    public String name() {
      return keyLimit > 0 ? "LocalPubSub (1 MB/s per key)" : "LocalPubSub";
    }

    @Override
    public long refusedOverKeyLimit() {
      return server.publishRequestsOverOrderingKeyLimit();
    }

    @Override
    public String hostPort() {
      return server.hostPort();
    }

    @Override
    public void createTopic(String project, String topic) {
      server.createTopic(project, topic);
    }

    @Override
    public long storedMessages(String project, String topic) {
      return server.publishedMessages(project, topic).size();
    }

    @Override
    public long cpuNanos() {
      return CpuTime.thisProcessNanos();
    }

    @Override
    public void reset() {
      server.reset();
      server.limitOrderingKeyThroughput(keyLimit);
    }

    @Override
    public void close() {
      server.close();
    }
  }
}
