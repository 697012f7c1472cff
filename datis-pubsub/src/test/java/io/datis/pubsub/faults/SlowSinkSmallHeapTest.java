package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault 4: a Pub/Sub sink more than ten times slower than PostgreSQL takes 100,000 changes, in a
 * capturing JVM with a 256 MB heap and Datis's default settings. Back-pressure must hold memory: no
 * {@code OutOfMemoryError} (the child runs with {@code -XX:+ExitOnOutOfMemoryError}), and all
 * 100,000 changes must arrive, in order per key.
 *
 * <p>The slowness is Pub/Sub's: the local server answers every publish after {@value
 * #LATENCY_MILLIS} ms, so the real client holds its messages longer and its flow control and
 * Datis's in-flight bound have to hold the line, as with a distant or overloaded Pub/Sub. The
 * latency is chosen so the sink is about twenty times slower here, which leaves room for a busy
 * machine that writes at half speed.
 */
class SlowSinkSmallHeapTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "slow";
  private static final int KEYS = 1_000;
  private static final int CHANGES = 100_000;
  private static final long LATENCY_MILLIS = 1_000;

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aSinkTenTimesSlowerThanPostgresOverOneHundredThousandChangesFitsInA256MegabyteHeap()
      throws Exception {
    long seed = Long.getLong("datis.faults.seed", System.nanoTime());
    System.out.println("SlowSinkSmallHeapTest seed: " + seed);
    pubsub.createTopic(PROJECT, TOPIC);
    Workload workload = Workload.create(pg, "slow_rows", KEYS, 200);
    try (ChildJvm child =
        ChildJvm.launch(
            "slow-sink",
            List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
            pg,
            pubsub,
            "project=" + PROJECT,
            "topic=" + TOPIC,
            "name=slow-sink",
            "table=" + workload.table(),
            "expect=" + CHANGES)) {
      child.awaitLine("STARTED", Duration.ofSeconds(90));
      pubsub.publishLatency(Duration.ofMillis(LATENCY_MILLIS));

      long startNanos = System.nanoTime();
      try (Workload.Writer writer = workload.writer(seed, KEYS, 1e9)) {
        workload.insertKeys();
        writer.start(CHANGES - KEYS);
        writer.awaitDone(Duration.ofSeconds(60));
      }
      long writtenNanos = System.nanoTime() - startNanos;
      long publishedWhenWritten =
          Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, TOPIC));

      String done = child.awaitLine("DONE", Duration.ofSeconds(240));
      long deliveredNanos = System.nanoTime() - startNanos;
      int exitCode = child.waitFor(Duration.ofSeconds(60));

      Map<Integer, Integer> committed = workload.committedVersions();
      Deliveries deliveries = Deliveries.of(pubsub.publishedMessages(PROJECT, TOPIC));
      double writeRate = CHANGES / (writtenNanos / 1e9);
      double deliveryRate = CHANGES / (deliveredNanos / 1e9);
      System.out.printf(
          "SlowSinkSmallHeapTest: PostgreSQL took %d changes in %d ms (%.0f/s); the sink had %d of them when the"
              + " writes ended and all after %d ms (%.0f/s, %.1fx slower); child: %s; %s%n",
          CHANGES,
          writtenNanos / 1_000_000,
          writeRate,
          publishedWhenWritten,
          deliveredNanos / 1_000_000,
          deliveryRate,
          writeRate / deliveryRate,
          done,
          deliveries.summary());

      assertThat(exitCode)
          .as(
              "exit code of the capturing JVM (3: OutOfMemoryError); end of its log:\n%s",
              child.logTail())
          .isZero();
      assertThat(Workload.changes(committed)).isEqualTo(CHANGES);
      assertThat(deliveries.problems(committed)).as("delivery problems").isEmpty();
      assertThat(deliveries.distinct()).isEqualTo(CHANGES);
      assertThat(writeRate / deliveryRate)
          .as("how many times slower the sink was than PostgreSQL")
          .isGreaterThanOrEqualTo(10);
    }
  }
}
