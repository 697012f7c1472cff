package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
 * High availability under fire: three JVMs run the same pipeline (one active, two standbys) while
 * PostgreSQL takes a stream of updates, and the active one is killed with SIGKILL four times, a new
 * replica being launched after each kill. Each time a standby must take over; every committed
 * change must reach Pub/Sub in per-key order, and at no moment may two live replicas be active, nor
 * a standby hand anything to its sink.
 *
 * <p>Set {@code -Ddatis.faults.seed=<seed>} to replay the kill moments and transaction shapes.
 */
class ReplicasKilledTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "replicas";
  private static final String PIPELINE = "fault-replicas";
  private static final int KEYS = 500;
  private static final long CHANGES = 30_000;
  private static final int KILLS = 4;
  private static final int REPLICAS = 3;
  private static final Duration WAIT = Duration.ofSeconds(90);

  private final List<ChildJvm> replicas = new ArrayList<>();
  private final ReplicaRoles roles = new ReplicaRoles();
  private int generation;

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void fourSigkillsOfTheActiveReplicaLoseNothingKeepOrderAndNeverOverlap() throws Exception {
    long seed = Long.getLong("datis.faults.seed", System.nanoTime());
    System.out.println(
        "ReplicasKilledTest seed: " + seed + " (replay with -Ddatis.faults.seed=" + seed + ")");
    Random random = new Random(seed);
    pubsub.createTopic(PROJECT, TOPIC);
    Workload workload = Workload.create(pg, "replica_rows", KEYS, 100);
    List<Long> takeoverMillis = new ArrayList<>();
    try {
      ChildJvm first = launch();
      first.awaitLine("STARTED", WAIT);
      assertThat(first.line("STARTED")).contains("role=ACTIVE");
      for (int i = 1; i < REPLICAS; i++) {
        launch();
      }
      for (ChildJvm standby : replicas.subList(1, REPLICAS)) {
        standby.awaitLine("STARTED", WAIT);
      }
      assertThat(replicas.subList(1, REPLICAS))
          .allSatisfy(standby -> assertThat(standby.line("STARTED")).contains("role=STANDBY"));

      try (Workload.Writer writer = workload.writer(random.nextLong(), 60, 900)) {
        workload.insertKeys();
        writer.start(CHANGES - KEYS);
        for (int kill = 1; kill <= KILLS; kill++) {
          ChildJvm active = roles.awaitTheActive(replicas, WAIT);
          Thread.sleep(1_000 + random.nextInt(3_000));
          long killedAt = System.currentTimeMillis();
          active.kill();
          replicas.remove(active);
          launch();
          ChildJvm next = roles.awaitTheActive(replicas, WAIT);
          long activeAt = ReplicaRoles.lastRoleChange(next);
          takeoverMillis.add(activeAt - killedAt);
          assertThat(activeAt)
              .as("the new active replica became active after the kill")
              .isGreaterThanOrEqualTo(killedAt);
        }
        writer.awaitDone(Duration.ofSeconds(180));
      }

      Map<Integer, Integer> committed = workload.committedVersions();
      long expected = Workload.changes(committed);
      assertThat(expected).isGreaterThanOrEqualTo(CHANGES);
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () ->
                    Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, TOPIC))
                        >= expected);
      } catch (ConditionTimeoutException e) {
        // the checks below say what is missing
      }
      Deliveries deliveries = Deliveries.of(pubsub.publishedMessages(PROJECT, TOPIC));
      List<Long> sorted = takeoverMillis.stream().sorted().toList();
      System.out.println(
          "ReplicasKilledTest: "
              + KILLS
              + " SIGKILLs of the active replica, takeover (kill to the next ROLE ACTIVE) in ms: "
              + takeoverMillis
              + ", median "
              + sorted.get(sorted.size() / 2)
              + ", max "
              + sorted.get(sorted.size() - 1)
              + "; "
              + expected
              + " committed changes, "
              + deliveries.summary());
      assertThat(roles.overlaps()).as("moments with two live active replicas").isEmpty();
      for (ChildJvm replica : replicas) {
        assertThat(replica.lines("DELIVERED_AS_STANDBY"))
            .as("batches a standby handed to its sink")
            .isEmpty();
      }
      assertThat(deliveries.problems(committed))
          .as("delivery problems (seed %d; logs of the replicas under target/fault-matrix)", seed)
          .isEmpty();
      assertThat(deliveries.distinct()).isEqualTo(expected);
    } finally {
      for (ChildJvm replica : replicas) {
        replica.close();
      }
    }
  }

  private ChildJvm launch() {
    ChildJvm replica =
        ChildJvm.launch(
            "replica-" + generation++,
            List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
            pg,
            pubsub,
            "project=" + PROJECT,
            "topic=" + TOPIC,
            "name=" + PIPELINE,
            "table=public.replica_rows");
    replicas.add(replica);
    return replica;
  }
}
