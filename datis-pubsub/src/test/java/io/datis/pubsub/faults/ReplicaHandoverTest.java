package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The two hand-overs between replicas that are not crashes, each replica in a JVM of its own
 * publishing to Pub/Sub while PostgreSQL takes a stream of updates: the active replica losing its
 * lock connection while its replication stream goes on (it must fence itself before another replica
 * delivers), and a rolling update (a new replica starts, then the old one is closed: the new one
 * goes on where the old one committed). In both, every committed change arrives in per-key order
 * and no two replicas' active periods overlap: each replica reports when its active period first
 * handed a batch to its sink and when it last saw one completed.
 */
class ReplicaHandoverTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final int KEYS = 200;
  private static final long CHANGES = 15_000;
  private static final double CHANGES_PER_SECOND = 1_500;
  private static final Duration WAIT = Duration.ofSeconds(90);

  private final List<ChildJvm> replicas = new ArrayList<>();
  private final ReplicaRoles roles = new ReplicaRoles();

  @AfterEach
  void killLeftovers() throws InterruptedException {
    for (ChildJvm replica : replicas) {
      replica.close();
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void anActiveWhoseLockConnectionIsCutFencesItselfBeforeAnotherReplicaDelivers() throws Exception {
    String pipeline = "fault-fenced";
    Workload workload = Workload.create(pg, "fenced_rows", KEYS, 100);
    pubsub.createTopic(PROJECT, "fenced");
    ChildJvm first = launch("fenced-a", pipeline, "fenced", workload);
    assertThat(first.awaitLine("STARTED", WAIT)).contains("role=ACTIVE");
    ChildJvm second = launch("fenced-b", pipeline, "fenced", workload);
    assertThat(second.awaitLine("STARTED", WAIT)).contains("role=STANDBY");

    ChildJvm active;
    try (Workload.Writer writer = workload.writer(17, 40, CHANGES_PER_SECOND)) {
      workload.insertKeys();
      writer.start(CHANGES - KEYS);
      first.awaitLine("DELIVERING", WAIT);
      Thread.sleep(2_000); // mid-stream

      long pid = ReplicaRoles.value(first.line("STARTED"), "pid");
      long cutAt = System.currentTimeMillis();
      // One statement: the lock connection is terminated while the replication stream runs.
      List<String> cut =
          pg.query(
              "SELECT pg_terminate_backend(pid), (SELECT count(*) FROM pg_replication_slots"
                  + " WHERE slot_name = 'datis_fault_fenced' AND active)"
                  + " FROM pg_stat_activity WHERE application_name LIKE 'datis-"
                  + pipeline
                  + " lock %:"
                  + pid
                  + "'",
              r -> r.getBoolean(1) + " with " + r.getInt(2) + " replication stream");
      assertThat(cut)
          .as("the active replica's lock connection terminated, its replication stream running")
          .containsExactly("true with 1 replication stream");

      long fencedAt = ReplicaRoles.value(first.awaitLine("ROLE STANDBY", WAIT), "at");
      active = roles.awaitTheActive(replicas, WAIT);
      long activeAt = ReplicaRoles.lastRoleChange(active);
      writer.awaitDone(Duration.ofSeconds(120));
      System.out.printf(
          "ReplicaHandoverTest: lock connection cut; the active replica fenced itself and became a"
              + " standby after %d ms, %s active again after %d ms%n",
          fencedAt - cutAt,
          active == first ? "the same replica" : "the other replica",
          activeAt - cutAt);
    }
    Deliveries deliveries = awaitEveryChange(workload, "fenced");
    stopAll(active == first ? second : first, active);

    assertThat(roles.overlaps()).as("moments with two live active replicas").isEmpty();
    assertNoStandbyDelivered();
    List<ReplicaRoles.Period> periods = ReplicaRoles.periods(replicas);
    assertThat(periods).as("active periods").hasSizeGreaterThanOrEqualTo(2);
    assertThat(periods.get(0).replica()).isEqualTo("fenced-a.log");
    assertThat(ReplicaRoles.overlappingPeriods(periods))
        .as("active periods that overlap (%s)", periods)
        .isEmpty();
    System.out.println("ReplicaHandoverTest: fenced, " + deliveries.summary());
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aPausedActiveIsReplacedAndFencesItselfWhenItResumes() throws Exception {
    String pipeline = "fault-paused";
    Workload workload = Workload.create(pg, "paused_rows", KEYS, 100);
    pubsub.createTopic(PROJECT, "paused");
    ChildJvm first = launch("paused-a", pipeline, "paused", workload);
    assertThat(first.awaitLine("STARTED", WAIT)).contains("role=ACTIVE");
    ChildJvm second = launch("paused-b", pipeline, "paused", workload);
    assertThat(second.awaitLine("STARTED", WAIT)).contains("role=STANDBY");
    try (Workload.Writer writer = workload.writer(29, 40, CHANGES_PER_SECOND)) {
      workload.insertKeys();
      writer.start(3_000).awaitDone(Duration.ofSeconds(60));
    }
    awaitEveryChange(workload, "paused"); // nothing in flight when it pauses
    int walsender = awaitRecordedReplicationConnection(pipeline);

    // Paused: its sockets stay open, so PostgreSQL keeps its walsender reading the slot (until
    // wal_sender_timeout); its lock connection is cut, as a network would cut it.
    first.pause();
    long pausedAt = System.currentTimeMillis();
    long pid = ReplicaRoles.value(first.line("STARTED"), "pid");
    assertThat(
            pg.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name"
                    + " LIKE 'datis-"
                    + pipeline
                    + " lock %:"
                    + pid
                    + "'",
                r -> r.getBoolean(1)))
        .containsExactly(true);
    long activeAt = ReplicaRoles.value(second.awaitLine("ROLE ACTIVE", WAIT), "at");
    assertThat(
            pg.query(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = " + walsender, r -> r.getInt(1)))
        .as("the paused replica's replication connection, ended by the new active replica")
        .containsExactly(0);
    try (Workload.Writer writer = workload.writer(31, 40, CHANGES_PER_SECOND)) {
      writer.start(3_000).awaitDone(Duration.ofSeconds(60));
    }
    awaitEveryChange(workload, "paused");

    long resumedAt = System.currentTimeMillis();
    first.resume();
    long fencedAt = ReplicaRoles.value(first.awaitLine("ROLE STANDBY", WAIT), "at");
    System.out.printf(
        "ReplicaHandoverTest: paused active replaced after %d ms; it fenced itself %d ms after"
            + " resuming%n",
        activeAt - pausedAt, fencedAt - resumedAt);
    Deliveries deliveries = awaitEveryChange(workload, "paused");
    stopAll(first, second);

    assertNoStandbyDelivered();
    List<ReplicaRoles.Period> periods = ReplicaRoles.periods(replicas);
    assertThat(periods)
        .extracting(ReplicaRoles.Period::replica)
        .containsExactly("paused-a.log", "paused-b.log");
    assertThat(ReplicaRoles.overlappingPeriods(periods))
        .as("active periods that overlap (%s)", periods)
        .isEmpty();
    System.out.println("ReplicaHandoverTest: paused, " + deliveries.summary());
  }

  /**
   * Waits until the active run recorded its replication connection next to its offsets, and returns
   * that connection's PID.
   */
  private static int awaitRecordedReplicationConnection(String pipeline) {
    return await()
        .atMost(WAIT)
        .until(
            () ->
                pg
                    .query(
                        "SELECT convert_from(offset_value, 'UTF8') FROM public.datis_offsets"
                            + " WHERE pipeline = '"
                            + pipeline
                            + "#slot'",
                        r -> r.getString(1))
                    .stream()
                    .map(marker -> marker.split(" "))
                    .filter(parts -> parts.length >= 4)
                    .map(parts -> Integer.parseInt(parts[2]))
                    .findFirst()
                    .orElse(-1),
            walsender -> walsender > 0);
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aRollingUpdateHandsOverWhereTheOldReplicaCommitted() throws Exception {
    String pipeline = "fault-rolling";
    Workload workload = Workload.create(pg, "rolling_rows", KEYS, 100);
    pubsub.createTopic(PROJECT, "rolling");
    ChildJvm old = launch("rolling-old", pipeline, "rolling", workload);
    assertThat(old.awaitLine("STARTED", WAIT)).contains("role=ACTIVE");

    try (Workload.Writer writer = workload.writer(23, 40, CHANGES_PER_SECOND)) {
      workload.insertKeys();
      writer.start(CHANGES - KEYS);
      old.awaitLine("DELIVERING", WAIT);
      ChildJvm next = launch("rolling-new", pipeline, "rolling", workload);
      assertThat(next.awaitLine("STARTED", WAIT)).contains("role=STANDBY");
      Thread.sleep(2_000); // mid-stream

      long stoppingAt = System.currentTimeMillis();
      assertThat(old.stop(WAIT)).as("exit code of the old replica's clean stop").isZero();
      long stoppedAt = System.currentTimeMillis();
      long activeAt = ReplicaRoles.value(next.awaitLine("ROLE ACTIVE", WAIT), "at");
      long deliveringAt = ReplicaRoles.value(next.awaitLine("DELIVERING", WAIT), "at");
      writer.awaitDone(Duration.ofSeconds(120));
      System.out.printf(
          "ReplicaHandoverTest: rolling update; close() of the old replica took %d ms, the new one"
              + " was active %d ms and delivering %d ms after close() began%n",
          stoppedAt - stoppingAt, activeAt - stoppingAt, deliveringAt - stoppingAt);
    }
    Deliveries deliveries = awaitEveryChange(workload, "rolling");
    stopAll(replicas.get(1));

    assertNoStandbyDelivered();
    List<ReplicaRoles.Period> periods = ReplicaRoles.periods(replicas);
    assertThat(periods)
        .extracting(ReplicaRoles.Period::replica)
        .containsExactly("rolling-old.log", "rolling-new.log");
    assertThat(ReplicaRoles.overlappingPeriods(periods))
        .as("active periods that overlap (%s)", periods)
        .isEmpty();
    // Offsets are committed at transaction ends: a transaction the old replica had delivered
    // only in part when it closed is delivered again, whole; nothing it committed is.
    assertThat(deliveries.duplicatedTransactions())
        .as("transactions delivered again after the hand-over (%s)", deliveries.summary())
        .hasSizeLessThanOrEqualTo(1);
    System.out.println("ReplicaHandoverTest: rolling update, " + deliveries.summary());
  }

  /** Waits until every committed change was published, then checks loss and per-key order. */
  private Deliveries awaitEveryChange(Workload workload, String topic) {
    Map<Integer, Integer> committed = workload.committedVersions();
    long expected = Workload.changes(committed);
    try {
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, topic)) >= expected);
    } catch (ConditionTimeoutException e) {
      // the checks below say what is missing
    }
    Deliveries deliveries = Deliveries.of(pubsub.publishedMessages(PROJECT, topic));
    assertThat(deliveries.problems(committed))
        .as("delivery problems (logs of the replicas under target/fault-matrix)")
        .isEmpty();
    assertThat(deliveries.distinct()).isEqualTo(expected);
    return deliveries;
  }

  /** Stops the replicas cleanly in this order (standbys first, so none takes over). */
  private static void stopAll(ChildJvm... inOrder) throws InterruptedException {
    for (ChildJvm replica : inOrder) {
      assertThat(replica.stop(WAIT)).as("exit code of %s", replica.log()).isZero();
    }
  }

  private void assertNoStandbyDelivered() {
    for (ChildJvm replica : replicas) {
      assertThat(replica.lines("DELIVERED_AS_STANDBY"))
          .as("batches a standby handed to its sink (%s)", replica.log())
          .isEmpty();
    }
  }

  private ChildJvm launch(String name, String pipeline, String topic, Workload workload) {
    ChildJvm replica =
        ChildJvm.launch(
            name,
            List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
            pg,
            pubsub,
            "project=" + PROJECT,
            "topic=" + topic,
            "name=" + pipeline,
            "table=" + workload.table());
    replicas.add(replica);
    return replica;
  }
}
