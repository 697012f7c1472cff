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
 * Fault 1: the capturing JVM is killed with SIGKILL at random moments while PostgreSQL takes a
 * stream of updates, and started again each time with the same pipeline name, so the same slot and
 * the offsets it kept in PostgreSQL. No committed change may be lost, and each row's versions must
 * reach Pub/Sub in commit order (redelivered duplicates allowed).
 *
 * <p>Set {@code -Ddatis.faults.seed=<seed>} to replay the kill moments and transaction shapes of a
 * run.
 */
class CapturingProcessKilledTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "killed";
  private static final String PIPELINE = "fault-kill";
  private static final int KEYS = 500;
  private static final long CHANGES = 30_000;
  private static final int KILLS = 4;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void fourSigkillsOfTheCapturingJvmLoseNothingAndKeepEachRowsOrder() throws Exception {
    long seed = Long.getLong("datis.faults.seed", System.nanoTime());
    System.out.println(
        "CapturingProcessKilledTest seed: "
            + seed
            + " (replay with -Ddatis.faults.seed="
            + seed
            + ")");
    Random random = new Random(seed);
    long startNanos = System.nanoTime();
    pubsub.createTopic(PROJECT, TOPIC);
    Workload workload = Workload.create(pg, "killed_rows", KEYS, 100);
    List<String> kills = new ArrayList<>();

    ChildJvm child = launch(0);
    try {
      child = run(workload, random, kills, child);
      ChildJvm last = child;
      last.awaitLine("STARTED", Duration.ofSeconds(90));
      Map<Integer, Integer> committed = workload.committedVersions();
      long expected = Workload.changes(committed);
      assertThat(expected).isGreaterThanOrEqualTo(CHANGES);
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () ->
                    Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, TOPIC)) >= expected
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
          "CapturingProcessKilledTest: "
              + KILLS
              + " SIGKILLs, "
              + expected
              + " committed changes, "
              + deliveries.summary()
              + ", "
              + Duration.ofNanos(System.nanoTime() - startNanos).toSeconds()
              + " s");
      assertThat(deliveries.problems(committed))
          .as(
              "delivery problems (seed %d; logs of the capturing processes in %s)",
              seed, last.log().getParent())
          .isEmpty();
      assertThat(deliveries.distinct()).isEqualTo(expected);
    } finally {
      child.close();
    }
  }

  /**
   * Runs the workload while killing and relaunching the capturing process; returns the last one
   * launched.
   */
  private static ChildJvm run(Workload workload, Random random, List<String> kills, ChildJvm first)
      throws Exception {
    ChildJvm child = first;
    try (Workload.Writer writer = workload.writer(random.nextLong(), 60, 1_000)) {
      // The first process creates the slot: changes committed from then on must all arrive.
      child.awaitLine("STARTED", Duration.ofSeconds(90));
      workload.insertKeys();
      writer.start(CHANGES - KEYS);
      // Most kills hit a streaming process, one a process that is still starting (connecting,
      // checking the slot, reading offsets).
      int killDuringStart = 2 + random.nextInt(KILLS - 1);
      for (int kill = 1; kill <= KILLS; kill++) {
        boolean duringStart = kill == killDuringStart;
        if (duringStart) {
          Thread.sleep(Math.max(0, 300 + random.nextInt(2_500) - child.age().toMillis()));
        } else {
          child.awaitLine("STARTED", Duration.ofSeconds(90));
          Thread.sleep(500 + random.nextInt(5_500));
        }
        if (!child.isAlive()) {
          throw new AssertionError(
              "The capturing process stopped by itself before kill "
                  + kill
                  + "; end of its log:\n"
                  + child.logTail());
        }
        boolean started = child.line("STARTED") != null;
        int published = pubsub.publishedMessages(PROJECT, TOPIC).size();
        child.kill();
        kills.add(
            String.format(
                "kill %d after %d ms (%s), %d messages published, %d changes committed",
                kill,
                child.age().toMillis(),
                started ? "streaming" : "starting",
                published,
                writer.committed()));
        child = launch(kill);
      }
      writer.awaitDone(Duration.ofSeconds(120));
      System.out.println(
          "Writer: "
              + writer.committed()
              + " changes committed, "
              + writer.failures()
              + " failed transactions");
    } catch (Exception | AssertionError e) {
      child.close();
      throw e;
    }
    return child;
  }

  private static ChildJvm launch(int generation) {
    return ChildJvm.launch(
        "killed-" + generation,
        List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
        pg,
        pubsub,
        "project=" + PROJECT,
        "topic=" + TOPIC,
        "name=" + PIPELINE,
        "table=public.killed_rows");
  }
}
