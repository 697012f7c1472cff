package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.api.SourceException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Position;
import io.datis.postgres.PostgresSource;
import io.datis.postgres.PostgresSource.FailoverSlot;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.datis.testkit.TcpProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A primary that streams to a standby without {@code synchronized_standby_slots}: it sends changes
 * to the pipeline before the standby has them. {@code failoverSlot(ON)} refuses that setup; with
 * the default, a failover to a standby that lagged behind is not passed over in silence: the
 * pipeline's offsets lie past the point where the new primary's history split from the old one's,
 * and resuming there would skip what the new primary wrote in between.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UnsynchronizedStandbyTest {

  @RegisterExtension
  static final DatisPostgres pg =
      DatisPostgres.embedded().withStandby().withSetting("synchronized_standby_slots", "");

  @RegisterExtension static final TcpProxy proxy = TcpProxy.create();

  @TempDir static Path offsets;

  private static final Duration WAIT = Duration.ofSeconds(120);

  @BeforeAll
  static void prepare() {
    proxy.target(pg.host(), pg.port());
    pg.execute("CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL)");
  }

  @Test
  @Order(1)
  void failoverSlotOnRefusesAPrimaryThatSendsChangesBeforeItsStandbysHaveThem() {
    await()
        .atMost(WAIT)
        .until(
            () ->
                pg.query("SELECT count(*) FROM pg_stat_replication", r -> r.getInt(1))
                    .equals(List.of(1)));
    PostgresSource source = pg.source().toBuilder().failoverSlot(FailoverSlot.ON).build();

    assertThatThrownBy(() -> pipeline("refused", source, new InMemorySink()).close())
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("synchronized_standby_slots");
    assertThat(
            pg.query(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'datis_refused'",
                r -> r.getInt(1)))
        .containsExactly(0);
  }

  @Test
  @Order(2)
  void aFailoverToAStandbyThatLaggedFailsThePipelineInsteadOfSkippingChanges() throws Exception {
    DatisPostgres standby = pg.standby();
    PostgresSource source = pg.source().toBuilder().host(proxy.host()).port(proxy.port()).build();
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = pipeline("lagged", source, sink)) {
      insert(pg, 1, 10);
      await().atMost(WAIT).until(() -> sink.events().size() == 10);
      awaitSlotSynchronized(standby, "datis_lagged");

      standby.stop(); // the standby falls behind; the primary goes on without it
      insert(pg, 11, 20);
      await().atMost(WAIT).until(() -> sink.events().size() == 20);
      long lastChange = sink.events().get(19).position().lsn();
      await() // the offsets are past the last change
          .atMost(WAIT)
          .until(
              () ->
                  pipeline
                      .health()
                      .lastCommittedLsn()
                      .map(Position::parseLsn)
                      .filter(lsn -> lsn >= lastChange)
                      .isPresent());

      pg.stopImmediately();
      standby.start();
      standby.promote();
      proxy.target(standby.host(), standby.port());
      proxy.dropConnections();
      insert(standby, 100, 110); // the new primary writes where the old one had written 11 to 20

      assertThatThrownBy(() -> pipeline.awaitTermination(WAIT))
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("PostgreSQL failed over since pipeline 'lagged' last read")
          .hasMessageContaining("is on timeline 2, where timeline 1")
          .hasMessageContaining("would skip the changes the new primary wrote there")
          .hasMessageContaining("resnapshotIfSlotLost()")
          .hasMessageContaining("synchronized_standby_slots");
      assertThat(pipeline.health().status()).isEqualTo(Health.Status.DOWN);
    }
    // What the pipeline delivered from the old primary after the standby stopped is not on the
    // new primary: the database itself lost those commits in the failover.
    assertThat(standby.query("SELECT count(*) FROM public.orders", r -> r.getInt(1)))
        .containsExactly(10 + 11);
    assertThat(ids(sink.events())).contains(11, 20).doesNotContain(100);
  }

  private static Pipeline pipeline(String name, PostgresSource source, InMemorySink sink) {
    return Datis.capture(source)
        .name(name)
        .tables("public.orders")
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.file(offsets.resolve(name + ".offsets")))
        .closeTimeout(Duration.ofSeconds(5))
        .to(sink)
        .start();
  }

  private static void insert(DatisPostgres server, int from, int to) {
    server.execute(
        "INSERT INTO public.orders SELECT g, 'item ' || g FROM generate_series("
            + from
            + ", "
            + to
            + ") g");
  }

  /** Waits until the standby has the slot synchronized, asking the primary for what that needs. */
  private static void awaitSlotSynchronized(DatisPostgres standby, String slot) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              pg.query("SELECT pg_log_standby_snapshot()::text", r -> r.getString(1));
              return standby
                  .query(
                      "SELECT synced AND NOT temporary FROM pg_replication_slots"
                          + " WHERE slot_name = '"
                          + slot
                          + "'",
                      r -> r.getBoolean(1))
                  .equals(List.of(true));
            });
  }

  private static List<Integer> ids(List<ChangeEvent> events) {
    return events.stream().map(e -> (Integer) e.after().orElseThrow().get("id")).toList();
  }
}
