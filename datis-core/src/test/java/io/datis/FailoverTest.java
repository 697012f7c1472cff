package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.api.SourceException;
import io.datis.api.event.ChangeEvent;
import io.datis.postgres.PostgresSource;
import io.datis.postgres.PostgresSource.FailoverSlot;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.datis.testkit.TcpProxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A primary failover under a running pipeline: PostgreSQL 17 with a physical standby that
 * synchronizes the pipeline's failover slot, reached through a proxy as through a name that moves;
 * the primary crashes mid-stream, the standby is promoted, the proxy switched, and the pipeline
 * goes on from the promoted standby by itself (DEGRADED meanwhile), with every change the new
 * primary has, in order per key; a pipeline whose slot was an ordinary one fails, naming the
 * failover as the cause.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withStandby();
  @RegisterExtension static final TcpProxy proxy = TcpProxy.create();

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final int KEYS = 200;

  @BeforeAll
  static void pointTheProxyAtThePrimary() {
    proxy.target(pg.host(), pg.port());
  }

  @Test
  @Order(1)
  void failoverSlotOnMakesAnExistingOrdinarySlotAFailoverSlot() {
    pg.execute("CREATE TABLE public.upgraded (id int PRIMARY KEY)");
    PostgresSource ordinary = pg.source().toBuilder().failoverSlot(FailoverSlot.OFF).build();
    try (Pipeline first = upgradedPipeline(ordinary)) {
      assertThat(slotIsFailoverSlot("datis_upgraded")).isFalse();
    }
    PostgresSource failover = ordinary.toBuilder().failoverSlot(FailoverSlot.ON).build();
    try (Pipeline again = upgradedPipeline(failover)) {
      assertThat(slotIsFailoverSlot("datis_upgraded")).isTrue();
    }
    pg.execute("SELECT pg_drop_replication_slot('datis_upgraded')");
  }

  private static Pipeline upgradedPipeline(PostgresSource source) {
    return Datis.capture(source)
        .name("upgraded")
        .tables("public.upgraded")
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.postgres())
        .to(new InMemorySink())
        .start();
  }

  private static boolean slotIsFailoverSlot(String slot) {
    return pg.query(
            "SELECT failover FROM pg_replication_slots WHERE slot_name = '" + slot + "'",
            r -> r.getBoolean(1))
        .equals(List.of(true));
  }

  @Test
  @Order(2)
  void aPipelineGoesOnFromThePromotedStandbyWithEveryChangeInOrder() throws Exception {
    DatisPostgres standby = pg.standby();
    pg.execute(
        "CREATE TABLE public.accounts (id int PRIMARY KEY, version int NOT NULL)",
        "INSERT INTO public.accounts SELECT g, 0 FROM generate_series(1, " + KEYS + ") g");
    PostgresSource source =
        pg.source().toBuilder()
            .host(proxy.host())
            .port(proxy.port())
            .failoverSlot(FailoverSlot.ON)
            .build();
    InMemorySink sink = new InMemorySink();
    InMemorySink ordinarySlotSink = new InMemorySink();
    try (Pipeline ordinarySlot =
            Datis.capture(source.toBuilder().failoverSlot(FailoverSlot.OFF).build())
                .name("ordinary")
                .tables("public.accounts")
                .snapshot(SnapshotMode.CHANGES_ONLY)
                .offsets(OffsetStore.postgres())
                .closeTimeout(Duration.ofSeconds(5))
                .to(ordinarySlotSink)
                .start();
        Pipeline pipeline =
            Datis.capture(source)
                .name("failover")
                .tables("public.accounts")
                .snapshot(SnapshotMode.CHANGES_ONLY)
                .offsets(OffsetStore.postgres())
                .closeTimeout(Duration.ofSeconds(5))
                .to(sink)
                .start()) {
      assertThat(
              pg.query(
                  "SELECT failover FROM pg_replication_slots WHERE slot_name = 'datis_failover'",
                  r -> r.getBoolean(1)))
          .containsExactly(true);
      update(pg, 1, 50); // 50 transactions, each a range of keys
      awaitDelivered(sink, pg);
      awaitSlotSynchronized(standby);

      // Mid-stream: a writer goes on while the primary crashes.
      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer =
          new Thread(
              () -> {
                int round = 0;
                while (writing.get()) {
                  try {
                    update(pg, 100 + round++, 1);
                  } catch (RuntimeException | SQLException e) {
                    return; // the primary is gone
                  }
                }
              });
      writer.start();
      Thread.sleep(1_000);
      List<Health.Status> statuses = new CopyOnWriteArrayList<>();
      Thread healthWatch =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  Health.Status status = pipeline.health().status();
                  if (statuses.isEmpty() || statuses.get(statuses.size() - 1) != status) {
                    statuses.add(status);
                  }
                  try {
                    Thread.sleep(20);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      healthWatch.start();
      long crashedAt = System.nanoTime();
      pg.stopImmediately();
      writing.set(false);
      writer.join();
      standby.promote();
      proxy.target(standby.host(), standby.port());
      proxy.dropConnections();

      update(standby, 1_000, 20); // on the new primary
      awaitDelivered(sink, standby);
      System.out.printf(
          "FailoverTest: every change of the new primary delivered %d ms after the primary crashed"
              + " (promotion and proxy switch included); %d events%n",
          Duration.ofNanos(System.nanoTime() - crashedAt).toMillis(), sink.events().size());
      await().atMost(WAIT).until(() -> pipeline.health().status() == Health.Status.UP);
      System.out.println("FailoverTest: health from the crash on " + statuses);

      assertThat(orderProblems(sink.events())).isEmpty();
      assertThat(pipeline.isRunning()).isTrue();
      healthWatch.interrupt();
      healthWatch.join();
      assertThat(statuses).as("health from the crash on").contains(Health.Status.DEGRADED);
      assertThat(statuses).as("health from the crash on").doesNotContain(Health.Status.DOWN);

      // The pipeline whose slot was an ordinary one does not go on from a new slot.
      assertThatThrownBy(() -> ordinarySlot.awaitTermination(WAIT))
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("Replication slot 'datis_ordinary' does not exist")
          .hasMessageContaining("promoted from a standby")
          .hasMessageContaining("lost in the failover")
          .hasMessageContaining("failover slots survive it");
      assertThat(ordinarySlot.health().status()).isEqualTo(Health.Status.DOWN);
      assertThat(
              standby.query(
                  "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'datis_ordinary'",
                  r -> r.getInt(1)))
          .containsExactly(0);
    }
  }

  /** Runs {@code transactions} update transactions over ranges of keys, from round {@code from}. */
  private static void update(DatisPostgres server, int from, int transactions) throws SQLException {
    try (Connection connection = server.connect();
        Statement statement = connection.createStatement()) {
      for (int round = from; round < from + transactions; round++) {
        int first = 1 + (round * 37) % KEYS;
        int last = Math.min(KEYS, first + round % 40);
        statement.execute(
            "UPDATE public.accounts SET version = version + 1 WHERE id BETWEEN "
                + first
                + " AND "
                + last);
      }
    }
  }

  /** Waits until every key's latest version on {@code server} was delivered. */
  private static void awaitDelivered(InMemorySink sink, DatisPostgres server) {
    Map<Integer, Integer> versions = new HashMap<>();
    for (int[] row :
        server.query(
            "SELECT id, version FROM public.accounts", r -> new int[] {r.getInt(1), r.getInt(2)})) {
      versions.put(row[0], row[1]);
    }
    await()
        .atMost(WAIT)
        .until(
            () -> {
              Map<Integer, Integer> delivered = latest(sink.events());
              return versions.entrySet().stream()
                  .allMatch(
                      key ->
                          key.getValue() == 0
                              || key.getValue().equals(delivered.get(key.getKey())));
            });
  }

  /**
   * Waits until the standby holds the pipeline's slot as a synchronized, persistent slot: the
   * server writes the running-transactions record it needs every 15 s; asked for here at once.
   */
  private static void awaitSlotSynchronized(DatisPostgres standby) {
    await()
        .atMost(WAIT)
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

  private static Map<Integer, Integer> latest(List<ChangeEvent> events) {
    Map<Integer, Integer> latest = new HashMap<>();
    for (ChangeEvent event : events) {
      Map<String, Object> after = event.after().orElseThrow();
      latest.merge((Integer) after.get("id"), (Integer) after.get("version"), Math::max);
    }
    return latest;
  }

  /** Versions of a key going down, skipping exact repeats (redelivery). */
  private static List<String> orderProblems(List<ChangeEvent> events) {
    Map<Integer, Integer> seen = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (ChangeEvent event : events) {
      Map<String, Object> after = event.after().orElseThrow();
      int id = (Integer) after.get("id");
      int version = (Integer) after.get("version");
      Integer before = seen.get(id);
      if (before != null && version < before) {
        problems.add("key " + id + ": version " + version + " after " + before);
      }
      seen.merge(id, version, Math::max);
    }
    return problems;
  }
}
