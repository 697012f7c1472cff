package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.api.SourceException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two instances of the same pipeline in one JVM, as two replicas of a service would run it: one is
 * active, the other a standby that takes over when the active one closes or loses its lock, and
 * never do both deliver at once.
 */
class ReplicasTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  /** An in-memory sink that also records when it was first and last handed a batch. */
  private static final class TimedSink implements Sink {
    final InMemorySink events = new InMemorySink();
    final AtomicLong firstDelivery = new AtomicLong(Long.MAX_VALUE);
    final AtomicLong lastDelivery = new AtomicLong(Long.MIN_VALUE);

    @Override
    public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
      long now = System.nanoTime();
      firstDelivery.accumulateAndGet(now, Math::min);
      lastDelivery.accumulateAndGet(now, Math::max);
      return events.deliver(batch);
    }
  }

  private PipelineBuilder replica(String name, String table, Sink sink) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(table)
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.postgres())
        .closeTimeout(Duration.ofSeconds(5))
        .to(sink);
  }

  @Test
  void aSecondInstanceWaitsAsAStandbyAndTakesOverWithoutRedeliveryWhenTheActiveCloses()
      throws Exception {
    pg.execute("CREATE TABLE public.handover (id int PRIMARY KEY)");
    TimedSink firstSink = new TimedSink();
    TimedSink secondSink = new TimedSink();
    List<Health.Role> secondRoles = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry secondMetrics = new SimpleMeterRegistry();

    try (Pipeline first = replica("handover", "public.handover", firstSink).start();
        Pipeline second =
            replica("handover", "public.handover", secondSink)
                .metrics(secondMetrics)
                .onRoleChange(secondRoles::add)
                .start()) {
      assertThat(first.health().role()).isEqualTo(Health.Role.ACTIVE);
      Health standby = second.health();
      assertThat(standby.status()).isEqualTo(Health.Status.STANDBY);
      assertThat(standby.role()).isEqualTo(Health.Role.STANDBY);
      assertThat(standby.activeInstance())
          .hasValueSatisfying(holder -> assertThat(holder).contains("datis-handover lock"));
      assertThat(standby.reasons()).singleElement().asString().startsWith("standby: pipeline");
      assertThat(second.isRunning()).isTrue();
      assertThat(secondMetrics.get("datis.pipeline.active").gauge().value()).isZero();
      assertThatThrownBy(() -> second.snapshot("public.handover"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("standby");

      pg.execute("INSERT INTO public.handover SELECT g FROM generate_series(1, 100) g");
      firstSink.events.awaitEvents(100, TIMEOUT);
      long closing = System.nanoTime();
      first.close();

      await().atMost(TIMEOUT).until(() -> second.health().role() == Health.Role.ACTIVE);
      System.out.printf(
          "ReplicasTest: handover after close() took %d ms%n",
          Duration.ofNanos(System.nanoTime() - closing).toMillis());
      pg.execute("INSERT INTO public.handover SELECT g FROM generate_series(101, 150) g");
      List<ChangeEvent> afterHandover = secondSink.events.awaitEvents(50, TIMEOUT);

      assertThat(afterHandover)
          .as("committed events are not delivered again")
          .extracting(event -> event.after().orElseThrow().get("id"))
          .containsExactlyElementsOf(
              java.util.stream.IntStream.rangeClosed(101, 150).boxed().toList());
      assertThat(secondSink.firstDelivery.get()).isGreaterThan(firstSink.lastDelivery.get());
      assertThat(secondRoles).containsExactly(Health.Role.ACTIVE);
      assertThat(secondMetrics.get("datis.pipeline.active").gauge().value()).isEqualTo(1);
      assertThat(second.health().activeInstance()).isEmpty();
    }
  }

  @Test
  void anActiveThatLosesItsLockFencesItselfAndExactlyOneInstanceGoesOnWithNothingLost()
      throws Exception {
    pg.execute("CREATE TABLE public.fenced (id int PRIMARY KEY)");
    TimedSink firstSink = new TimedSink();
    TimedSink secondSink = new TimedSink();
    List<Health.Role> firstRoles = new CopyOnWriteArrayList<>();

    try (Pipeline first =
            replica("fenced", "public.fenced", firstSink).onRoleChange(firstRoles::add).start();
        Pipeline second = replica("fenced", "public.fenced", secondSink).start()) {
      pg.execute("INSERT INTO public.fenced SELECT g FROM generate_series(1, 100) g");
      firstSink.events.awaitEvents(100, TIMEOUT);

      long cut = System.nanoTime();
      pg.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE application_name LIKE 'datis-fenced lock %'");

      await().atMost(TIMEOUT).until(() -> firstRoles.contains(Health.Role.STANDBY));
      long fenced = System.nanoTime();
      awaitExactlyOneActive(first, second);
      System.out.printf(
          "ReplicasTest: fenced %d ms after its lock connection was cut%n",
          Duration.ofNanos(fenced - cut).toMillis());
      pg.execute("INSERT INTO public.fenced SELECT g FROM generate_series(101, 200) g");
      await().atMost(TIMEOUT).until(() -> ids(firstSink, secondSink).size() == 200);

      assertThat(ids(firstSink, secondSink))
          .containsExactlyInAnyOrderElementsOf(
              java.util.stream.IntStream.rangeClosed(1, 200).boxed().toList());
      if (second.health().role() == Health.Role.ACTIVE) {
        assertThat(secondSink.firstDelivery.get())
            .as("the standby delivers only after the fenced instance stopped")
            .isGreaterThan(firstSink.lastDelivery.get());
      }
      assertThat(first.isRunning()).isTrue();
      assertThat(second.isRunning()).isTrue();
    }
  }

  @Test
  void aFreshStartRightAfterTheActiveLostItsLockWaitsOutThatInstancesLease() throws Exception {
    pg.execute("CREATE TABLE public.orphaned (id int PRIMARY KEY)");
    TimedSink firstSink = new TimedSink();
    TimedSink secondSink = new TimedSink();
    try (Pipeline first = replica("orphaned", "public.orphaned", firstSink).start()) {
      pg.execute("INSERT INTO public.orphaned SELECT g FROM generate_series(1, 10) g");
      firstSink.events.awaitEvents(10, TIMEOUT);

      // The lock is free at once, but the first instance lives on, still streaming, and may hand
      // batches to its sink until its lease runs out: a new instance must not deliver before then,
      // although it is not a standby that saw the lock taken.
      long cut = System.nanoTime();
      pg.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE application_name LIKE 'datis-orphaned lock %'");
      try (Pipeline second = replica("orphaned", "public.orphaned", secondSink).start()) {
        long startedAfter = System.nanoTime() - cut;

        assertThat(Duration.ofNanos(startedAfter))
            .as("the fresh start waited a lease after the previous reader let go of the slot")
            .isGreaterThanOrEqualTo(Duration.ofSeconds(5)); // the lease
        awaitExactlyOneActive(first, second);
        pg.execute("INSERT INTO public.orphaned SELECT g FROM generate_series(11, 20) g");
        await().atMost(TIMEOUT).until(() -> ids(firstSink, secondSink).size() == 20);
      }
    }
  }

  @Test
  void aStandbyTakesOverAfterTheSlotAdvancedPastTheStoredOffsetsWhileTheTablesWereIdle()
      throws Exception {
    pg.execute("CREATE TABLE public.idle_then_lost (id int PRIMARY KEY)");
    pg.execute("CREATE TABLE public.elsewhere (id int, filler text)");
    TimedSink firstSink = new TimedSink();
    TimedSink secondSink = new TimedSink();
    List<Health.Role> firstRoles = new CopyOnWriteArrayList<>();
    try (Pipeline first =
            replica("idle-then-lost", "public.idle_then_lost", firstSink)
                // the driver confirms the server's positions each second, not each 10 s
                .debeziumProperty("status.update.interval.ms", "1000")
                .onRoleChange(firstRoles::add)
                .start();
        Pipeline second =
            replica("idle-then-lost", "public.idle_then_lost", secondSink)
                .debeziumProperty("status.update.interval.ms", "1000")
                .start()) {
      pg.execute("INSERT INTO public.idle_then_lost SELECT g FROM generate_series(1, 10) g");
      firstSink.events.awaitEvents(10, TIMEOUT);

      // Captured tables idle, others write: the slot moves on (the driver confirms the server's
      // keepalive positions) until its restart_lsn passes the last offset stored, of the last
      // transaction, with nothing captured in between. Debezium's own check would then refuse the
      // next start for good.
      await()
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                pg.execute(
                    "INSERT INTO public.elsewhere SELECT g, repeat('x', 1000) FROM generate_series(1, 2000) g",
                    "CHECKPOINT");
                return text("SELECT (restart_lsn - '0/0'::pg_lsn > (SELECT (convert_from(offset_value, 'UTF8')::json"
                        + " ->> 'lsn_proc')::numeric FROM public.datis_offsets WHERE pipeline = 'idle-then-lost'"
                        + " AND offset_value IS NOT NULL LIMIT 1))::text FROM pg_replication_slots"
                        + " WHERE slot_name = 'datis_idle_then_lost'")
                    .equals("true");
              });
      pg.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE application_name LIKE 'datis-idle-then-lost lock %'");
      await().atMost(TIMEOUT).until(() -> firstRoles.contains(Health.Role.STANDBY));

      awaitExactlyOneActive(first, second);
      pg.execute("INSERT INTO public.idle_then_lost SELECT g FROM generate_series(11, 20) g");
      await().atMost(TIMEOUT).until(() -> ids(firstSink, secondSink).size() == 20);
      assertThat(first.failure()).isEmpty();
      assertThat(second.failure()).isEmpty();
    }
  }

  @Test
  void aStandbyStartedWhileTheActiveSnapshotsTakesOverAndReadsEveryRow() throws Exception {
    pg.execute(
        "CREATE TABLE public.snapshotted (id int PRIMARY KEY)",
        "INSERT INTO public.snapshotted SELECT g FROM generate_series(1, 20000) g");
    InMemorySink firstSink = new InMemorySink().stallAfter(3);
    InMemorySink secondSink = new InMemorySink();
    try (Pipeline first =
            Datis.capture(pg.source())
                .name("snapshotted")
                .tables("public.snapshotted")
                .offsets(OffsetStore.postgres())
                .maxBatchSize(500)
                .maxInFlightEvents(1000)
                .closeTimeout(Duration.ofSeconds(1))
                .to(firstSink)
                .start();
        Pipeline second =
            Datis.capture(pg.source())
                .name("snapshotted")
                .tables("public.snapshotted")
                .offsets(OffsetStore.postgres())
                .to(secondSink)
                .start()) {
      await().atMost(TIMEOUT).until(() -> firstSink.stalledBatches() > 0);
      assertThat(second.health().status()).isEqualTo(Health.Status.STANDBY);
      assertThat(firstSink.events().size())
          .as("the snapshot is under way, not done")
          .isLessThan(20000);

      first.close(); // mid-snapshot: what the sink did not acknowledge stays uncommitted

      List<ChangeEvent> read = secondSink.awaitEvents(20000, TIMEOUT);
      assertThat(read)
          .extracting(event -> event.after().orElseThrow().get("id"))
          .as("the snapshot is read again to the end by the instance that took over")
          .containsAll(java.util.stream.IntStream.rangeClosed(1, 20000).boxed().toList());
    }
  }

  @Test
  void withStandbyOffASecondInstanceFailsToStartNamingTheActiveOne() {
    pg.execute("CREATE TABLE public.single (id int PRIMARY KEY)");
    try (Pipeline first = replica("single", "public.single", new InMemorySink()).start()) {
      await().atMost(TIMEOUT).until(() -> first.health().status() == Health.Status.UP);
      first.close();
      try (Pipeline again = replica("single", "public.single", new InMemorySink()).start()) {
        await().atMost(TIMEOUT).until(() -> again.health().status() == Health.Status.UP);
        assertThatThrownBy(
                () -> replica("single", "public.single", new InMemorySink()).standby(false).start())
            .isInstanceOf(SourceException.class)
            .hasMessageStartingWith("Replication slot 'datis_single' is already active")
            .satisfies(e -> assertThat(again.health().role()).isEqualTo(Health.Role.ACTIVE));
      }
    }
  }

  private static void awaitExactlyOneActive(Pipeline first, Pipeline second) {
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                (first.health().role() == Health.Role.ACTIVE)
                    != (second.health().role() == Health.Role.ACTIVE));
  }

  private static String text(String sql) {
    return pg.query(sql, row -> row.getString(1)).get(0);
  }

  private static Set<Object> ids(TimedSink... sinks) {
    Set<Object> ids = new HashSet<>();
    for (TimedSink sink : sinks) {
      for (ChangeEvent event : sink.events.events()) {
        ids.add(event.after().orElseThrow().get("id"));
      }
    }
    return ids;
  }
}
