package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault 5: the captured table is idle while another table of the database writes 100 MB of WAL. The
 * replication slot must still advance (its {@code confirmed_flush_lsn} follows the WAL), so that
 * PostgreSQL can recycle that WAL instead of keeping it for an idle pipeline; and the pipeline,
 * with a Pub/Sub sink and Datis's defaults, must still deliver the captured table's next change.
 */
class IdleTableSlotAdvanceTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "idle";
  private static final long WAL_BYTES = 100L << 20;

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void theSlotFollowsOneHundredMegabytesOfWalWrittenToATableThatIsNotCaptured() throws Exception {
    long startNanos = System.nanoTime();
    pubsub.createTopic(PROJECT, TOPIC);
    pg.execute(
        "CREATE TABLE public.idle_orders (id int PRIMARY KEY, state text)",
        "CREATE TABLE public.busy_log (id bigserial PRIMARY KEY, payload text)");
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("idle")
            .tables("public.idle_orders")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.postgres())
            .to(PubSubSink.builder(PROJECT, TOPIC).emulator(pubsub.hostPort()).build())
            .start()) {
      pg.execute("INSERT INTO idle_orders VALUES (1, 'new')");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> pubsub.publishedMessages(PROJECT, TOPIC).size() == 1);
      long before = lsn("pg_current_wal_lsn()");
      long confirmedBefore = confirmedFlush();

      // ~2 KB rows (md5 text, which pglz cannot shrink enough to bother), 10,000 per transaction
      long writeStart = System.nanoTime();
      while (lsn("pg_current_wal_lsn()") - before < WAL_BYTES) {
        pg.execute(
            "INSERT INTO busy_log (payload) SELECT string_agg(md5(g::text || '-' || i::text), '')"
                + " FROM generate_series(1, 10000) i, generate_series(1, 60) g GROUP BY i");
      }
      long walEnd = lsn("pg_current_wal_lsn()");
      long writeMillis = (System.nanoTime() - writeStart) / 1_000_000;

      long followStart = System.nanoTime();
      long[] confirmed = {confirmedBefore};
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(250))
            .until(() -> (confirmed[0] = confirmedFlush()) >= walEnd);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // reported below with the figures
      }
      long followMillis = (System.nanoTime() - followStart) / 1_000_000;
      // restart_lsn, which decides what WAL PostgreSQL keeps, moves once the slot has confirmed
      // past a running-transactions record. The background writer logs one every 15 s while WAL is
      // written; the test asks for one (PostgreSQL 16+) instead of waiting for the next.
      long[] retained = {retained()};
      try {
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  pg.query("SELECT pg_log_standby_snapshot()", row -> row.getString(1));
                  return (retained[0] = retained()) < WAL_BYTES / 10;
                });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // reported below with the figures
      }
      long releaseMillis = (System.nanoTime() - followStart) / 1_000_000;
      pg.execute("UPDATE idle_orders SET state = 'paid' WHERE id = 1");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> pubsub.publishedMessages(PROJECT, TOPIC).size() >= 2);

      System.out.printf(
          "IdleTableSlotAdvanceTest: %d MB of WAL written to an uncaptured table in %d ms; confirmed_flush_lsn moved"
              + " %d MB (to %d MB short of the WAL end) within %d ms of the end of the writes; WAL kept for the slot"
              + " (current - restart_lsn) %d MB after %d ms; health %s; %d s%n",
          (walEnd - before) >> 20,
          writeMillis,
          (confirmed[0] - confirmedBefore) >> 20,
          Math.max(0, walEnd - confirmed[0]) >> 20,
          followMillis,
          retained[0] >> 20,
          releaseMillis,
          pipeline.health(),
          (System.nanoTime() - startNanos) / 1_000_000_000);
      assertThat(confirmed[0])
          .as(
              "confirmed_flush_lsn 60 s after %d MB of WAL were written to a table the pipeline does not capture",
              (walEnd - before) >> 20)
          .isGreaterThanOrEqualTo(walEnd);
      assertThat(retained[0])
          .as("bytes of WAL the slot keeps 60 s after the writes (current - restart_lsn)")
          .isLessThan(WAL_BYTES / 10);
      assertThat(pubsub.publishedMessages(PROJECT, TOPIC)).hasSize(2);
      assertThat(pipeline.isRunning()).isTrue();
    }
  }

  private static long retained() {
    return lsn("pg_current_wal_lsn()")
        - lsn("(SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'datis_idle')");
  }

  private static long confirmedFlush() {
    return lsn(
        "(SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'datis_idle')");
  }

  private static long lsn(String expression) {
    return pg.query("SELECT " + expression + " - '0/0'", row -> row.getLong(1)).get(0);
  }
}
