package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Position;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * DBZ-9149 (debezium/dbz#76): a transaction A still open while a transaction B commits writes its
 * next change exactly where B's commit record ends (WAL records are contiguous). The pipeline
 * commits B's end, whose offset holds that position, and stops; A commits; the pipeline starts
 * again. Debezium 3.6 took A's change at that position for the one already processed and resumed
 * after it, so A's changes up to there were lost; 3.7 recognizes the false match. Every change of A
 * must arrive.
 *
 * <p>How it is provoked: with nothing else writing WAL in between, A's insert right after B's
 * commit starts at B's commit end; {@code pg_walinspect} checks that it did (checkpoints, the
 * background writer's running-transactions record or autovacuum can come between; the attempt is
 * then repeated).
 */
class InterleavedTransactionRestartTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int ATTEMPTS = 10;

  @TempDir Path directory;

  @Test
  void aTransactionWithAChangeAtTheLastCommittedEndArrivesWholeAfterARestart() throws Exception {
    pg.execute(
        "CREATE EXTENSION pg_walinspect",
        "CREATE TABLE public.long_tx (id int PRIMARY KEY)",
        "CREATE TABLE public.short_tx (id int PRIMARY KEY)");
    // Offsets in a file: the pipeline's own commits write no WAL into this database.
    OffsetStore offsets = OffsetStore.file(directory.resolve("interleaved.offsets"));
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      int base = attempt * 100;
      InMemorySink first = new InMemorySink();
      try (Pipeline pipeline = start(offsets, first);
          Connection a = pg.connect();
          Connection b = pg.connect()) {
        a.setAutoCommit(false);
        String start = text(b, "SELECT pg_current_wal_insert_lsn()::text");
        execute(
            a,
            "INSERT INTO public.long_tx SELECT generate_series("
                + (base + 1)
                + ", "
                + (base + 5)
                + ")");
        long bXid =
            bigint(
                b,
                "INSERT INTO public.short_tx VALUES ("
                    + base
                    + ") RETURNING pg_current_xact_id()::text::bigint");
        long aXid =
            bigint(
                a,
                "INSERT INTO public.long_tx VALUES ("
                    + (base + 6)
                    + ") RETURNING pg_current_xact_id()::text::bigint");
        execute(
            a,
            "INSERT INTO public.long_tx SELECT generate_series("
                + (base + 7)
                + ", "
                + (base + 10)
                + ")");
        // pg_walinspect reads flushed WAL only; the WAL writer flushes A's records within
        // wal_writer_delay.
        String written = text(b, "SELECT pg_current_wal_insert_lsn()::text");
        await()
            .atMost(TIMEOUT)
            .until(
                () ->
                    "t"
                        .equals(
                            text(
                                b,
                                "SELECT pg_current_wal_flush_lsn() >= '" + written + "'::pg_lsn")));

        String commitEnd = commitEnd(b, start, bXid);
        if (!nextRecordBelongsTo(b, commitEnd, aXid)) {
          a.rollback();
          continue; // something else wrote WAL in between: try again
        }
        first.awaitEvents(1, TIMEOUT); // B
        await()
            .atMost(TIMEOUT)
            .until(() -> pipeline.health().lastCommittedLsn().orElse("").equals(commitEnd));
        pipeline.close();
        a.commit();
      }

      InMemorySink second = new InMemorySink();
      try (Pipeline pipeline = start(offsets, second)) {
        List<ChangeEvent> events = second.awaitEvents(10, TIMEOUT);

        assertThat(events)
            .extracting(event -> event.after().orElseThrow().get("id"))
            .containsExactlyElementsOf(IntStream.rangeClosed(base + 1, base + 10).boxed().toList());
      }
      System.out.println("InterleavedTransactionRestartTest: provoked in attempt " + attempt);
      return;
    }
    throw new AssertionError(
        "In "
            + ATTEMPTS
            + " attempts, something else always wrote WAL between B's commit and A's next change");
  }

  private static Pipeline start(OffsetStore offsets, InMemorySink sink) {
    return Datis.capture(pg.source())
        .name("interleaved")
        .tables("public.long_tx", "public.short_tx")
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(offsets)
        .to(sink)
        .start();
  }

  /** Where B's commit record ends: the position Datis commits with B's end. */
  private static String commitEnd(Connection connection, String start, long xid)
      throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT end_lsn::text FROM pg_get_wal_records_info('"
                    + start
                    + "', pg_current_wal_flush_lsn())"
                    + " WHERE xid = '"
                    + xid
                    + "' AND resource_manager = 'Transaction' AND record_type = 'COMMIT'")) {
      row.next();
      return Position.formatLsn(Position.parseLsn(row.getString(1)));
    }
  }

  /** Whether the WAL record starting at {@code lsn} is a change of transaction {@code xid}. */
  private static boolean nextRecordBelongsTo(Connection connection, String lsn, long xid)
      throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT start_lsn = '"
                    + lsn
                    + "'::pg_lsn AND xid = '"
                    + xid
                    + "'"
                    + " FROM pg_get_wal_records_info('"
                    + lsn
                    + "', pg_current_wal_flush_lsn()) ORDER BY start_lsn LIMIT 1")) {
      return row.next() && row.getBoolean(1);
    }
  }

  private static void execute(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  private static String text(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getString(1);
    }
  }

  private static long bigint(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getLong(1);
    }
  }
}
