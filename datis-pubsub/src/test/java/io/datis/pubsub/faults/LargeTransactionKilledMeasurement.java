package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
 * A measurement, not part of the suite (its name does not end in {@code Test}): how many changes
 * arrive twice when the capturing JVM is killed with SIGKILL halfway through delivering one
 * transaction of 1,000,000 rows. Datis commits offsets at transaction ends only, so everything of
 * that transaction delivered before the kill is delivered again; nothing may be missing.
 *
 * <p>Run it with {@code mvn -pl datis-pubsub -am test -Dtest=LargeTransactionKilledMeasurement
 * -Dsurefire.failIfNoSpecifiedTests=false}; set {@code -Ddatis.measure.rows=<n>} for another size.
 * It takes a few minutes.
 */
class LargeTransactionKilledMeasurement {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-measure";
  private static final String TOPIC = "large-transaction";
  private static final int ROWS = Integer.getInteger("datis.measure.rows", 1_000_000);

  @Test
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  void aSigkillHalfwayThroughAMillionRowTransactionRedeliversWhatWasDeliveredOfIt()
      throws Exception {
    pubsub.createTopic(PROJECT, TOPIC);
    Workload workload = Workload.create(pg, "large_rows", ROWS, 20);
    long killedAt;
    try (ChildJvm first = launch(0)) {
      first.awaitLine("STARTED", Duration.ofSeconds(90));
      workload.insertKeys();
      await()
          .atMost(Duration.ofMinutes(10))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> pubsub.publishedMessages(PROJECT, TOPIC).size() >= ROWS / 2);
      first.kill();
      killedAt = pubsub.publishedMessages(PROJECT, TOPIC).size();
    }
    long restartNanos = System.nanoTime();
    try (ChildJvm second = launch(1)) {
      second.awaitLine("STARTED", Duration.ofSeconds(90));
      await()
          .atMost(Duration.ofMinutes(15))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, TOPIC)) >= ROWS);
      long afterRestartMillis = (System.nanoTime() - restartNanos) / 1_000_000;
      assertThat(second.stop(Duration.ofSeconds(60))).isZero();

      Map<Integer, Integer> committed = workload.committedVersions();
      Deliveries deliveries = Deliveries.of(pubsub.publishedMessages(PROJECT, TOPIC));
      System.out.printf(
          "LargeTransactionKilledMeasurement: one transaction of %d rows; SIGKILL with %d of them"
              + " published; after the restart all had arrived in %d ms; %s (%.1f %% of the"
              + " transaction twice)%n",
          ROWS,
          killedAt,
          afterRestartMillis,
          deliveries.summary(),
          100.0 * deliveries.duplicates() / ROWS);
      assertThat(deliveries.problems(committed)).isEmpty();
      assertThat(deliveries.distinct()).isEqualTo(ROWS);
    }
  }

  private static ChildJvm launch(int generation) {
    return ChildJvm.launch(
        "large-transaction-" + generation,
        List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError"),
        pg,
        pubsub,
        "project=" + PROJECT,
        "topic=" + TOPIC,
        "name=large-transaction",
        "table=public.large_rows");
  }
}
