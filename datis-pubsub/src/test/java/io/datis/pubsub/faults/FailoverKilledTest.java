package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.TcpProxy;
import io.datis.testkit.pubsub.LocalPubSub;
import java.io.StringReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;

/**
 * The primary crashes mid-stream and the capturing process is killed at the same moment: a
 * PostgreSQL 17 primary with a standby that synchronizes the pipeline's failover slot, reached
 * through a proxy that is switched to the promoted standby, and a new capturing process started
 * against it. Every change the new primary has (a COPY of 500 rows, updates before the crash, a
 * COPY and updates after it: over 20,000 changes) is published, in order per key.
 */
class FailoverKilledTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withStandby();
  @RegisterExtension static final TcpProxy proxy = TcpProxy.create();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "failover";
  private static final int KEYS = 500;
  private static final long CHANGES_BEFORE = 14_000;
  private static final long CHANGES_AFTER = 13_000;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void everyChangeOfTheNewPrimaryArrivesWhenTheProcessDiesWithThePrimary() throws Exception {
    long seed = Long.getLong("datis.faults.seed", System.nanoTime());
    System.out.println("FailoverKilledTest seed: " + seed);
    Random random = new Random(seed);
    proxy.target(pg.host(), pg.port());
    pubsub.createTopic(PROJECT, TOPIC);
    Workload onPrimary = Workload.create(pg, "failover_rows", KEYS, 100);
    DatisPostgres standby = pg.standby();

    ChildJvm child = launch(0);
    try {
      child.awaitLine("STARTED", Duration.ofSeconds(90));
      awaitSlotSynchronized(standby);
      onPrimary.insertKeys(); // one COPY: its rows share LSNs
      try (Workload.Writer writer = onPrimary.writer(random.nextLong(), 60, 3_000)) {
        writer.start(CHANGES_BEFORE);
        long crashAfter = CHANGES_BEFORE / 2 + random.nextInt((int) CHANGES_BEFORE / 3);
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(20))
            .until(() -> writer.committed() >= crashAfter);
        child.kill();
        pg.stopImmediately();
      }
      long crashedAt = System.nanoTime();
      standby.promote();
      proxy.target(standby.host(), standby.port());
      proxy.dropConnections();
      child = launch(1);
      child.awaitLine("STARTED", Duration.ofSeconds(90));
      long startedMillis = Duration.ofNanos(System.nanoTime() - crashedAt).toMillis();

      Workload onNewPrimary = onPrimary.on(standby);
      copyMoreRows(standby);
      try (Workload.Writer writer = onNewPrimary.writer(random.nextLong(), 60, 3_000)) {
        writer.start(CHANGES_AFTER);
        writer.awaitDone(Duration.ofSeconds(120));
      }
      Map<Integer, Integer> committed = onNewPrimary.committedVersions();
      long expected = Workload.changes(committed);
      ChildJvm last = child;
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () ->
                  Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, TOPIC)) >= expected
                      || !last.isAlive());
      long deliveredMillis = Duration.ofNanos(System.nanoTime() - crashedAt).toMillis();
      assertThat(last.isAlive())
          .as("the capturing process runs; end of its log:\n%s", last.logTail())
          .isTrue();
      assertThat(last.stop(Duration.ofSeconds(60))).isZero();

      List<PubsubMessage> messages = pubsub.publishedMessages(PROJECT, TOPIC);
      Deliveries deliveries = Deliveries.of(messages);
      System.out.printf(
          "FailoverKilledTest: %d changes on the new primary, %s; the new process started %d ms"
              + " after the crash, everything delivered %d ms after it%n",
          expected, deliveries.summary(), startedMillis, deliveredMillis);
      assertThat(expected).isGreaterThanOrEqualTo(20_000);
      assertThat(deliveries.problems(committed))
          .as("delivery problems (seed %d; logs in %s)", seed, last.log().getParent())
          .isEmpty();
      assertThat(deliveries.distinct()).isEqualTo(expected);
    } finally {
      child.close();
    }
  }

  /**
   * Waits until the standby holds the pipeline's new slot as a synchronized one: that takes a
   * running-transactions record, which the primary writes every 15 s, asked for here at once. (A
   * failover before it loses the slot, and the pipeline says so.)
   */
  private static void awaitSlotSynchronized(DatisPostgres standby) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              pg.query("SELECT pg_log_standby_snapshot()::text", r -> r.getString(1));
              return standby
                  .query(
                      "SELECT synced AND NOT temporary FROM pg_replication_slots"
                          + " WHERE slot_name = 'datis_failover'",
                      r -> r.getBoolean(1))
                  .equals(List.of(true));
            });
  }

  /** A COPY of keys the writers never update, on the new primary. */
  private static void copyMoreRows(DatisPostgres server) throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int id = KEYS + 1; id <= 2 * KEYS; id++) {
      rows.append(id).append("\t0\tcopied after the failover\n");
    }
    try (Connection connection = server.connect()) {
      connection
          .unwrap(PGConnection.class)
          .getCopyAPI()
          .copyIn("COPY public.failover_rows FROM STDIN", new StringReader(rows.toString()));
    }
  }

  private static ChildJvm launch(int generation) {
    return ChildJvm.launch(
        "failover-" + generation,
        List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
        pg,
        pubsub,
        "pg.host=" + proxy.host(),
        "pg.port=" + proxy.port(),
        "project=" + PROJECT,
        "topic=" + TOPIC,
        "name=failover",
        "table=public.failover_rows");
  }
}
