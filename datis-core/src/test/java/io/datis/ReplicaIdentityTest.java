package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.api.ConfigurationException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tables without a primary key: refused when nothing identifies their rows (a publication would
 * make PostgreSQL refuse the application's own UPDATE and DELETE), captured with the replica
 * identity index as key or, under REPLICA IDENTITY FULL, with the whole old row and no key; and a
 * table that loses its replica identity while captured turns health DOWN.
 */
class ReplicaIdentityTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void refusesTablesWithoutReplicaIdentityBeforeTouchingThePublication() {
    pg.execute(
        "CREATE TABLE public.nopk (id int, note text)",
        "CREATE TABLE public.nothing (id int PRIMARY KEY, note text)",
        "ALTER TABLE public.nothing REPLICA IDENTITY NOTHING",
        "CREATE TABLE public.fine (id int PRIMARY KEY)",
        "INSERT INTO public.nopk VALUES (1, 'a')",
        "INSERT INTO public.nothing VALUES (1, 'a')");

    assertThatThrownBy(
            () ->
                Datis.capture(pg.source())
                    .name("keyless")
                    .tables("public.fine", "public.nopk", "public.nothing")
                    .offsets(OffsetStore.inMemory())
                    .to(new InMemorySink())
                    .start())
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(
            "Pipeline 'keyless' cannot start: Tables public.nopk (no primary key, REPLICA IDENTITY DEFAULT),"
                + " public.nothing (REPLICA IDENTITY NOTHING) have no replica identity: in publication"
                + " 'datis_keyless', PostgreSQL would refuse the application's own UPDATE and DELETE on them"
                + " (\"cannot update table ... because it does not have a replica identity and publishes"
                + " updates\"). Fix, for each: add a primary key, or run ALTER TABLE \"public\".\"nopk\" REPLICA"
                + " IDENTITY FULL; (or REPLICA IDENTITY USING INDEX with a unique index on NOT NULL columns)");

    assertThat(pg.query("SELECT count(*) FROM pg_publication", row -> row.getLong(1)))
        .containsExactly(0L);
    assertThat(pg.query("SELECT count(*) FROM pg_replication_slots", row -> row.getLong(1)))
        .containsExactly(0L);
    // The application's own writes still work.
    pg.execute(
        "UPDATE public.nopk SET note = 'b' WHERE id = 1",
        "DELETE FROM public.nopk WHERE id = 1",
        "UPDATE public.nothing SET note = 'b' WHERE id = 1",
        "DELETE FROM public.nothing WHERE id = 1");
  }

  @Test
  void refusesAPartitionWithoutReplicaIdentityOfACapturedPartitionedTable() {
    pg.execute(
        "CREATE TABLE public.events (day date NOT NULL, note text) PARTITION BY RANGE (day)",
        "CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "ALTER TABLE public.events_2024 REPLICA IDENTITY FULL");

    assertThatThrownBy(
            () ->
                Datis.capture(pg.source())
                    .name("partitions")
                    .tables("public.events")
                    .offsets(OffsetStore.inMemory())
                    .to(new InMemorySink())
                    .start())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith(
            "Pipeline 'partitions' cannot start: Table public.events_2025 (no primary key, REPLICA IDENTITY"
                + " DEFAULT) has no replica identity");
    assertThat(pg.query("SELECT count(*) FROM pg_publication", row -> row.getLong(1)))
        .containsExactly(0L);
  }

  @Test
  void capturesATableIdentifiedByAUniqueIndexWithThatIndexAsKey() {
    pg.execute(
        "CREATE TABLE public.accounts (code text NOT NULL, region text NOT NULL, balance int, nickname text UNIQUE)",
        "CREATE UNIQUE INDEX accounts_identity ON public.accounts (region, code)",
        "ALTER TABLE public.accounts REPLICA IDENTITY USING INDEX accounts_identity");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = start("by-index", "public.accounts", sink)) {
      pg.execute(
          "INSERT INTO public.accounts VALUES ('A1', 'eu', 10, 'first')",
          "UPDATE public.accounts SET balance = 20 WHERE code = 'A1'",
          "DELETE FROM public.accounts WHERE code = 'A1'");

      List<ChangeEvent> events = sink.awaitEvents(3, TIMEOUT);

      assertThat(events)
          .extracting(ChangeEvent::operation)
          .containsExactly(Operation.INSERT, Operation.UPDATE, Operation.DELETE);
      for (ChangeEvent event : events) {
        assertThat(event.keyColumns()).containsExactly("region", "code");
        assertThat(event.key()).isEqualTo(row("region", "eu", "code", "A1"));
      }
      // The old row holds what the replica identity sends: the index's columns.
      assertThat(events.get(2).before()).contains(row("code", "A1", "region", "eu"));
    }
  }

  @Test
  void capturesATableIdentifiedByItsWholeRowWithoutKeyAndWithTheWholeOldRow() {
    pg.execute(
        "CREATE TABLE public.readings (sensor text, value int)",
        "ALTER TABLE public.readings REPLICA IDENTITY FULL");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = start("full-row", "public.readings", sink)) {
      pg.execute(
          "INSERT INTO public.readings VALUES ('s1', 1)",
          "UPDATE public.readings SET value = 2 WHERE sensor = 's1'",
          "DELETE FROM public.readings WHERE sensor = 's1'");

      List<ChangeEvent> events = sink.awaitEvents(3, TIMEOUT);

      assertThat(events).extracting(ChangeEvent::keyColumns).containsOnly(List.of());
      assertThat(events.get(1).before()).contains(row("sensor", "s1", "value", 1));
      assertThat(events.get(1).after()).contains(row("sensor", "s1", "value", 2));
      assertThat(events.get(2).before()).contains(row("sensor", "s1", "value", 2));
    }
  }

  @Test
  void aPrimaryKeyWithIncludedColumnsKeysEventsByItsKeyColumnsOnly() {
    pg.execute(
        "CREATE TABLE public.covered (id int, note text, CONSTRAINT covered_pk PRIMARY KEY (id) INCLUDE (note))");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = start("covered", "public.covered", sink)) {
      pg.execute(
          "INSERT INTO public.covered VALUES (1, 'a')", "DELETE FROM public.covered WHERE id = 1");

      List<ChangeEvent> events = sink.awaitEvents(2, TIMEOUT);

      assertThat(events).extracting(ChangeEvent::keyColumns).containsOnly(List.of("id"));
      // The old row of a delete holds the key's columns only: the included column is not sent.
      assertThat(events.get(1).before()).contains(row("id", 1));
    }
  }

  @Test
  void aPartitionedTableWithoutPrimaryKeyIsKeyedByTheKeyItsPartitionsShare() {
    pg.execute(
        "CREATE TABLE public.logs (id int NOT NULL, day date NOT NULL, note text) PARTITION BY RANGE (day)",
        "CREATE TABLE public.logs_2024 PARTITION OF public.logs (PRIMARY KEY (id)) FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE public.logs_2025 PARTITION OF public.logs (PRIMARY KEY (id)) FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = start("shared-key", "public.logs", sink)) {
      pg.execute(
          "INSERT INTO public.logs VALUES (1, '2024-05-01', 'a'), (2, '2025-05-01', 'b')",
          "DELETE FROM public.logs WHERE id = 2");

      List<ChangeEvent> events = sink.awaitEvents(3, TIMEOUT);

      assertThat(events).extracting(ChangeEvent::keyColumns).containsOnly(List.of("id"));
      assertThat(events.get(2).key()).isEqualTo(row("id", 2));
      assertThat(events.get(2).before()).contains(row("id", 2));
    }
  }

  @Test
  void refusesAPartitionedTableWhosePartitionsIdentifyRowsInWaysItsEventsCannotShare() {
    pg.execute(
        "CREATE TABLE public.mixed (id int NOT NULL, day date NOT NULL) PARTITION BY RANGE (day)",
        "CREATE TABLE public.mixed_2024 PARTITION OF public.mixed (PRIMARY KEY (id)) FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE public.mixed_2025 PARTITION OF public.mixed FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "ALTER TABLE public.mixed_2025 REPLICA IDENTITY FULL");

    assertThatThrownBy(() -> start("mixed", "public.mixed", new InMemorySink()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(
            "Pipeline 'mixed' cannot start: Partitioned table public.mixed's partitions identify their old rows in"
                + " ways its changes cannot share (public.mixed_2024 by [id], public.mixed_2025 by the whole row),"
                + " so its updates and deletes could not all be keyed. Fix: give public.mixed a primary key and"
                + " leave its partitions' replica identity at DEFAULT (or set every partition to REPLICA IDENTITY"
                + " FULL)");
  }

  @Test
  void aTableThatLosesItsReplicaIdentityWhileCapturedTurnsHealthDownWithTheFix() {
    pg.execute("CREATE TABLE public.orders (id int CONSTRAINT orders_pk PRIMARY KEY, note text)");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = start("losing", "public.orders", sink)) {
      await().atMost(TIMEOUT).until(() -> pipeline.health().status() == Health.Status.UP);

      pg.execute("ALTER TABLE public.orders DROP CONSTRAINT orders_pk");

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(pipeline.health().reasons())
                      .containsExactly(
                          "Table public.orders (no primary key, REPLICA IDENTITY DEFAULT) has no replica identity:"
                              + " in publication 'datis_losing', PostgreSQL would refuse the application's own UPDATE"
                              + " and DELETE on it (\"cannot update table ... because it does not have a replica"
                              + " identity and publishes updates\"). Fix, for each: add a primary key, or run ALTER"
                              + " TABLE \"public\".\"orders\" REPLICA IDENTITY FULL; (or REPLICA IDENTITY USING INDEX"
                              + " with a unique index on NOT NULL columns)"));
      assertThat(pipeline.health().status()).isEqualTo(Health.Status.DOWN);

      pg.execute("ALTER TABLE public.orders REPLICA IDENTITY FULL");

      await().atMost(TIMEOUT).until(() -> pipeline.health().status() == Health.Status.UP);
      pg.execute(
          "INSERT INTO public.orders VALUES (1, 'a')", "UPDATE public.orders SET note = 'b'");
      assertThat(sink.awaitEvents(2, TIMEOUT))
          .extracting(ChangeEvent::operation)
          .containsExactly(Operation.INSERT, Operation.UPDATE);
    }
  }

  private static Pipeline start(String name, String table, InMemorySink sink) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(table)
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory())
        .to(sink)
        .start();
  }

  private static Map<String, @Nullable Object> row(Object... columnsAndValues) {
    Map<String, @Nullable Object> row = new LinkedHashMap<>();
    for (int i = 0; i < columnsAndValues.length; i += 2) {
      row.put((String) columnsAndValues[i], columnsAndValues[i + 1]);
    }
    return row;
  }
}
