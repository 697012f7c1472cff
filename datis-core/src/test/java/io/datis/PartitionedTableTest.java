package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.ConfigurationException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.TableId;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A partitioned table is captured by its own name: every change of any of its partitions (those it
 * has at start, and those attached later) arrives named after it, with its key, across restarts. A
 * publication Datis did not create and that publishes under the partitions' names is refused.
 */
class PartitionedTableTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final TableId MEAS = TableId.of("public", "meas");

  private static void createMeasurements() {
    pg.execute(
        "CREATE TABLE public.meas (id int, day date, reading int, PRIMARY KEY (id, day)) PARTITION BY RANGE (day)",
        "CREATE TABLE public.meas_2024 PARTITION OF public.meas FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE public.meas_2025 PARTITION OF public.meas FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
  }

  @Test
  void capturesEveryChangeOfEveryPartitionUnderThePartitionedTablesNameAcrossARestart() {
    createMeasurements();
    pg.execute("INSERT INTO public.meas VALUES (1, '2024-03-01', 10), (2, '2025-03-01', 20)");
    OffsetStore offsets = OffsetStore.postgres();
    InMemorySink first = new InMemorySink();
    try (Pipeline pipeline = pipeline("meas", offsets, first, "public.meas")) {
      List<ChangeEvent> snapshot = first.awaitEvents(2, TIMEOUT);
      assertThat(snapshot).extracting(ChangeEvent::operation).containsOnly(Operation.SNAPSHOT_READ);
      assertThat(snapshot).extracting(ChangeEvent::table).containsOnly(MEAS);

      pg.execute(
          "INSERT INTO public.meas VALUES (3, '2024-06-01', 30)",
          "INSERT INTO public.meas_2025 VALUES (4, '2025-06-01', 40)",
          "UPDATE public.meas SET reading = 11 WHERE id = 1",
          "DELETE FROM public.meas WHERE id = 2");

      List<ChangeEvent> changes = first.awaitEvents(6, TIMEOUT).subList(2, 6);
      assertThat(changes).extracting(ChangeEvent::table).containsOnly(MEAS);
      assertThat(changes)
          .extracting(ChangeEvent::operation)
          .containsExactly(Operation.INSERT, Operation.INSERT, Operation.UPDATE, Operation.DELETE);
      assertThat(changes).extracting(ChangeEvent::keyColumns).containsOnly(List.of("id", "day"));
      assertThat(changes.get(3).key())
          .isEqualTo(Map.of("id", 2, "day", java.time.LocalDate.of(2025, 3, 1)));
    }

    // Between runs: a row moves to the other partition, and a partition is attached.
    pg.execute(
        "UPDATE public.meas SET day = '2025-06-02' WHERE id = 3",
        "CREATE TABLE public.meas_2026 PARTITION OF public.meas FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        "INSERT INTO public.meas VALUES (5, '2026-02-01', 50)");

    InMemorySink second = new InMemorySink();
    try (Pipeline pipeline = pipeline("meas", offsets, second, "public.meas")) {
      // An update that moves a row to another partition arrives as a delete and an insert.
      List<ChangeEvent> resumed = second.awaitEvents(3, TIMEOUT);
      assertThat(resumed).extracting(ChangeEvent::table).containsOnly(MEAS);
      assertThat(resumed)
          .extracting(ChangeEvent::operation)
          .containsExactly(Operation.DELETE, Operation.INSERT, Operation.INSERT);
      assertThat(resumed.get(0).key())
          .isEqualTo(Map.of("id", 3, "day", java.time.LocalDate.of(2024, 6, 1)));
      assertThat(resumed.get(1).key())
          .isEqualTo(Map.of("id", 3, "day", java.time.LocalDate.of(2025, 6, 2)));

      // While running: a partition detached, then one attached; the detached table is no longer
      // captured.
      pg.execute(
          "ALTER TABLE public.meas DETACH PARTITION public.meas_2024",
          "INSERT INTO public.meas_2024 VALUES (6, '2024-07-01', 60)",
          "CREATE TABLE public.meas_2027 (id int, day date, reading int, PRIMARY KEY (id, day))",
          "ALTER TABLE public.meas ATTACH PARTITION public.meas_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')",
          "INSERT INTO public.meas VALUES (7, '2027-02-01', 70)",
          "TRUNCATE public.meas");

      List<ChangeEvent> later = second.awaitEvents(5, TIMEOUT).subList(3, 5);
      assertThat(later).extracting(ChangeEvent::table).containsOnly(MEAS);
      assertThat(later)
          .extracting(ChangeEvent::operation)
          .containsExactly(Operation.INSERT, Operation.TRUNCATE);
      assertThat(later.get(0).key())
          .isEqualTo(Map.of("id", 7, "day", java.time.LocalDate.of(2027, 2, 1)));
    }
    // Row 6 went into the detached table before row 7 was written: it would have come first.
    assertThat(second.events()).hasSize(5);
  }

  @Test
  void capturesAPartitionListedByItsOwnNameUnderItsName() {
    createMeasurements();
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        pipeline("one-partition", OffsetStore.inMemory(), sink, "public.meas_2025")) {
      pg.execute(
          "INSERT INTO public.meas VALUES (1, '2024-03-01', 10)",
          "INSERT INTO public.meas VALUES (2, '2025-03-01', 20)");

      List<ChangeEvent> events = sink.awaitEvents(1, TIMEOUT);

      assertThat(events.get(0).table()).isEqualTo(TableId.of("public", "meas_2025"));
      assertThat(events.get(0).key())
          .isEqualTo(Map.of("id", 2, "day", java.time.LocalDate.of(2025, 3, 1)));
    }
  }

  @Test
  void refusesAPartitionListedBesideItsPartitionedTable() {
    createMeasurements();

    assertThatThrownBy(
            () ->
                pipeline(
                    "both",
                    OffsetStore.inMemory(),
                    new InMemorySink(),
                    "public.meas",
                    "public.meas_2024"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(
            "Pipeline 'both' cannot start: Table public.meas_2024 is a partition of public.meas, which is captured"
                + " too: its changes arrive as changes of public.meas. Fix: list only public.meas (all its"
                + " partitions), or only the partitions you want");
  }

  @Test
  void refusesAPublicationOfItsOwnThatPublishesUnderThePartitionsNames() {
    createMeasurements();
    pg.execute("CREATE PUBLICATION shop_pub FOR TABLE public.meas");
    assertThatThrownBy(
            () ->
                Datis.capture(pg.source())
                    .name("theirs")
                    .publicationName("shop_pub")
                    .tables("public.meas")
                    .offsets(OffsetStore.inMemory())
                    .to(new InMemorySink())
                    .start())
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(
            "Pipeline 'theirs' cannot start: Publication 'shop_pub' publishes the changes of partitioned tables"
                + " under their partitions' names, so changes of the partitioned table public.meas would never"
                + " arrive. Fix: run ALTER PUBLICATION \"shop_pub\" SET (publish_via_partition_root = true);");
    assertThat(pg.query("SELECT count(*) FROM pg_replication_slots", row -> row.getLong(1)))
        .containsExactly(0L);
  }

  @Test
  void publishesThroughThePartitionedTableAPublicationDatisCreatedBefore() {
    createMeasurements();
    // As Datis created it before it captured partitioned tables: under its derived name, without
    // the option.
    pg.execute("CREATE PUBLICATION datis_older FOR TABLE public.meas");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = pipeline("older", OffsetStore.inMemory(), sink, "public.meas")) {
      pg.execute("INSERT INTO public.meas VALUES (1, '2024-03-01', 10)");

      assertThat(sink.awaitEvents(1, TIMEOUT).get(0).table()).isEqualTo(MEAS);
      assertThat(
              pg.query(
                  "SELECT pubviaroot FROM pg_publication WHERE pubname = 'datis_older'",
                  row -> row.getBoolean(1)))
          .containsExactly(true);
    }
  }

  private static Pipeline pipeline(
      String name, OffsetStore offsets, InMemorySink sink, String... tables) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(tables)
        .snapshot(offsets.table().isPresent() ? SnapshotMode.INITIAL : SnapshotMode.CHANGES_ONLY)
        .offsets(offsets)
        .to(sink)
        .start();
  }
}
