package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.api.sink.Sink;
import io.datis.api.transform.Transforms;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MetricsTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  @Test
  void countsCapturedDeliveredAndDroppedEventsByTableAndOperation() {
    pg.execute("CREATE TABLE public.metered (id int PRIMARY KEY, kind text)");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("metered")
            .tables("public.metered")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .transform(
                Transforms.filter(
                    e -> !"noise".equals(e.after().map(r -> r.get("kind")).orElse(null))))
            .metrics(registry)
            .to(sink)
            .start()) {
      pg.execute(
          "INSERT INTO metered VALUES (1, 'real'), (2, 'noise'), (3, 'real')",
          "UPDATE metered SET kind = 'real!' WHERE id = 1");
      sink.awaitEvents(3, Duration.ofSeconds(60));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> !Double.isNaN(gauge(registry, "datis.commit.age")));

      assertThat(count(registry, "datis.events.captured", "insert")).isEqualTo(3);
      assertThat(count(registry, "datis.events.captured", "update")).isEqualTo(1);
      assertThat(count(registry, "datis.events.dropped", "insert")).isEqualTo(1);
      assertThat(count(registry, "datis.events.delivered", "insert")).isEqualTo(2);
      assertThat(count(registry, "datis.events.delivered", "update")).isEqualTo(1);
      assertThat(gauge(registry, "datis.events.in.flight")).isZero();
      assertThat(registry.get("datis.delivery.lag").tag("pipeline", "metered").timer().count())
          .isPositive();
      assertThat(registry.get("datis.batch.size").summary().totalAmount()).isEqualTo(3);
    }
  }

  @Test
  void theSinkLatencyTimerMeasuresFromHandingABatchToTheSinksAnswer() {
    pg.execute("CREATE TABLE public.timed (id int PRIMARY KEY)");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    InMemorySink delivered = new InMemorySink();
    Executor afterAPause = CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS);
    Sink slow = batch -> CompletableFuture.runAsync(() -> delivered.deliver(batch), afterAPause);
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("timed")
            .tables("public.timed")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .metrics(registry)
            .to(slow)
            .start()) {
      pg.execute("INSERT INTO timed VALUES (1)", "INSERT INTO timed VALUES (2)");
      delivered.awaitEvents(2, Duration.ofSeconds(60));
      Timer latency =
          registry
              .get("datis.sink.latency")
              .tag("pipeline", "timed")
              .tag("outcome", "delivered")
              .timer();
      await().atMost(Duration.ofSeconds(10)).until(() -> latency.count() >= 1);
      assertThat(latency.totalTime(TimeUnit.MILLISECONDS))
          .as("each batch waited 300 ms for its answer")
          .isGreaterThanOrEqualTo(300.0 * latency.count());
      assertThat(
              registry
                  .get("datis.sink.latency")
                  .tag("pipeline", "timed")
                  .tag("outcome", "failed")
                  .timer()
                  .count())
          .isZero();
    }
  }

  @Test
  void slotLagIsAGaugeAndOverTheThresholdMakesHealthDegradedUntilTheSinkCatchesUp() {
    pg.execute("CREATE TABLE public.lagging (id int PRIMARY KEY, pad text)");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    InMemorySink sink = new InMemorySink().stallNext(1);
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("lagging")
            .tables("public.lagging")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .slotLagThreshold(1024 * 1024)
            .metrics(registry)
            .to(sink)
            .start()) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> pipeline.health().status() == Health.Status.UP);
      assertThat(pipeline.health().slotLagBytes()).isPresent();
      assertThat(
              pg.query(
                  "SELECT active FROM pg_replication_slots WHERE slot_name = 'datis_lagging'",
                  row -> row.getBoolean(1)))
          .as("UP before any change means the engine reads the slot")
          .containsExactly(true);

      // The first batch stalls, so nothing is committed while 4 MB of changes pile up in the WAL.
      pg.execute("INSERT INTO lagging SELECT i, repeat('x', 400) FROM generate_series(1, 10000) i");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> pipeline.health().status() == Health.Status.DEGRADED);
      assertThat(pipeline.health().reasons())
          .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
          .matches("replication slot lag [0-9.]+ MB \\(over the threshold of 1\\.0 MB\\)");
      assertThat(
              registry.get("datis.replication.slot.lag").tag("pipeline", "lagging").gauge().value())
          .isGreaterThan(1024 * 1024);
      assertThat(registry.get("datis.in.flight.wal").tag("pipeline", "lagging").gauge().value())
          .as("the stalled batch and those behind it")
          .isPositive();

      sink.releaseStalled();
      sink.awaitEvents(10_000, Duration.ofSeconds(60));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> pipeline.health().status() == Health.Status.UP);
      assertThat(pipeline.health().slotLagBytes().getAsLong()).isLessThan(1024 * 1024);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  registry.get("datis.in.flight.wal").tag("pipeline", "lagging").gauge().value()
                      == 0);
    }
  }

  private static double count(SimpleMeterRegistry registry, String name, String operation) {
    Counter counter =
        registry
            .get(name)
            .tag("pipeline", "metered")
            .tag("table", "public.metered")
            .tag("operation", operation)
            .counter();
    return counter.count();
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    return registry.get(name).tag("pipeline", "metered").gauge().value();
  }
}
