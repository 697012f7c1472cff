package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A snapshot while streaming ({@code Pipeline.snapshot}) of a table whose 20,000 rows existed
 * before the pipeline, under a stream of updates of the same rows; the capturing JVM is killed with
 * SIGKILL twice in the middle of it and started again without asking anything: the snapshot goes on
 * from the committed offsets. Every row must arrive, never as an older version after a newer one,
 * and end at its committed version.
 */
class SnapshotKilledTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "snapshot-killed";
  private static final String PIPELINE = "fault-snapshot-kill";
  private static final String TABLE = "public.snapshot_rows";
  private static final int KEYS = 20_000;
  private static final int KILLS = 2;

  /**
   * Messages published between kills: far fewer than the table's rows, so each kill hits the
   * snapshot.
   */
  private static final int PUBLISHED_BETWEEN_KILLS = 4_000;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void twoSigkillsDuringASnapshotWhileStreamingLoseNoRowAndDeliverNoStaleOne() throws Exception {
    long seed = Long.getLong("datis.faults.seed", System.nanoTime());
    System.out.println(
        "SnapshotKilledTest seed: " + seed + " (replay with -Ddatis.faults.seed=" + seed + ")");
    Random random = new Random(seed);
    long startNanos = System.nanoTime();
    pubsub.createTopic(PROJECT, TOPIC);
    Workload workload = Workload.create(pg, "snapshot_rows", KEYS, 100);
    workload.insertKeys();
    List<String> kills = new ArrayList<>();

    ChildJvm child = launch(0, "snapshot=" + TABLE);
    try (Workload.Writer writer = workload.writer(random.nextLong(), 20, 500)) {
      child.awaitLine("STARTED", Duration.ofSeconds(90));
      writer.start(3_000);
      for (int kill = 1; kill <= KILLS; kill++) {
        int target = kill * PUBLISHED_BETWEEN_KILLS + random.nextInt(PUBLISHED_BETWEEN_KILLS / 2);
        ChildJvm running = child;
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () ->
                    pubsub.publishedMessages(PROJECT, TOPIC).size() >= target
                        || !running.isAlive());
        assertThat(child.isAlive())
            .as("the capturing process before kill %d; end of its log:\n%s", kill, child.logTail())
            .isTrue();
        int published = pubsub.publishedMessages(PROJECT, TOPIC).size();
        child.kill();
        kills.add(
            String.format(
                "kill %d after %d ms, %d messages published, %d updates committed",
                kill, child.age().toMillis(), published, writer.committed()));
        child = launch(kill);
        child.awaitLine("STARTED", Duration.ofSeconds(90));
      }
      writer.awaitDone(Duration.ofSeconds(120));
    } catch (Exception | AssertionError e) {
      child.close();
      throw e;
    }

    ChildJvm last = child;
    try {
      Map<Integer, Integer> committed = workload.committedVersions();
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () ->
                    Deliveries.keysUpToDate(pubsub.publishedMessages(PROJECT, TOPIC), committed)
                            == KEYS
                        || !last.isAlive());
      } catch (ConditionTimeoutException e) {
        // the checks below say what is missing
      }
      assertThat(last.isAlive())
          .as("the last capturing process is running; end of its log:\n%s", last.logTail())
          .isTrue();
      assertThat(last.stop(Duration.ofSeconds(60))).isZero();

      List<PubsubMessage> messages = pubsub.publishedMessages(PROJECT, TOPIC);
      Deliveries deliveries = Deliveries.of(messages);
      kills.forEach(System.out::println);
      System.out.println(
          "SnapshotKilledTest: "
              + KILLS
              + " SIGKILLs during a snapshot of "
              + KEYS
              + " rows, "
              + deliveries.summary()
              + ", "
              + Duration.ofNanos(System.nanoTime() - startNanos).toSeconds()
              + " s");
      assertThat(deliveries.latestStateProblems(committed))
          .as(
              "delivery problems (seed %d; logs of the capturing processes in %s)",
              seed, last.log().getParent())
          .isEmpty();
    } finally {
      last.close();
    }
  }

  private static ChildJvm launch(int generation, String... extra) {
    List<String> arguments =
        new ArrayList<>(
            List.of("project=" + PROJECT, "topic=" + TOPIC, "name=" + PIPELINE, "table=" + TABLE));
    arguments.addAll(List.of(extra));
    return ChildJvm.launch(
        "snapshot-killed-" + generation,
        List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
        pg,
        pubsub,
        arguments.toArray(String[]::new));
  }
}
