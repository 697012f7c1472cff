package io.datis;

import static org.awaitility.Awaitility.await;

import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The slot's confirmed position advances while the captured tables are idle and others write WAL.
 */
class SlotAdvanceTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  @Test
  void slotAdvancesPastWalOfTablesThatAreNotCaptured() {
    pg.execute(
        "CREATE TABLE public.quiet (id int PRIMARY KEY)",
        "CREATE TABLE public.busy (id bigserial PRIMARY KEY, payload text)");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("quiet")
            .tables("public.quiet")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .debeziumProperty("status.update.interval.ms", "1000")
            .to(sink)
            .start()) {
      pg.execute("INSERT INTO quiet VALUES (1)");
      sink.awaitEvents(1, Duration.ofSeconds(60));
      long before = lsn("pg_current_wal_lsn()");

      for (int i = 0; i < 10; i++) {
        pg.execute(
            "INSERT INTO busy (payload) SELECT repeat('x', 100) FROM generate_series(1, 20000)");
      }
      long walWritten = lsn("pg_current_wal_lsn()") - before;

      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  lsn(
                              "(SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'datis_quiet')")
                          - before
                      > walWritten / 2);
    }
  }

  private static long lsn(String expression) {
    return pg.query("SELECT " + expression + " - '0/0'", row -> row.getLong(1)).get(0);
  }
}
