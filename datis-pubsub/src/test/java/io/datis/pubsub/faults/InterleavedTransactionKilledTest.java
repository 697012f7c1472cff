package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DBZ-9149 with a kill: transaction A, open while B commits, writes its next change exactly where
 * B's commit record ends; the capturing JVM commits B's end (whose offset holds that position) and
 * is killed with SIGKILL right after; A commits; a new capturing JVM starts. Debezium 3.6 took A's
 * change at that position for one already processed and lost A's changes up to it; every change of
 * A must arrive. (The clean-stop case is {@code InterleavedTransactionRestartTest} in datis-core,
 * which explains how the position is provoked.)
 */
class InterleavedTransactionKilledTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "interleaved-killed";
  private static final String PIPELINE = "fault-interleaved";
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ATTEMPTS = 10;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void aTransactionWithAChangeAtTheLastCommittedEndArrivesWholeAfterASigkill() throws Exception {
    pubsub.createTopic(PROJECT, TOPIC);
    pg.execute(
        "CREATE EXTENSION pg_walinspect",
        "CREATE TABLE public.long_tx (id int PRIMARY KEY)",
        "CREATE TABLE public.short_tx (id int PRIMARY KEY)");
    ChildJvm child = launch(0);
    try {
      for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        int base = attempt * 100;
        child.awaitLine("STARTED", TIMEOUT);
        try (Connection a = pg.connect();
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
          String bXid =
              text(
                  b,
                  "INSERT INTO public.short_tx VALUES ("
                      + base
                      + ") RETURNING pg_current_xact_id()::text");
          String aXid =
              text(
                  a,
                  "INSERT INTO public.long_tx VALUES ("
                      + (base + 6)
                      + ") RETURNING pg_current_xact_id()::text");
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
                                  "SELECT pg_current_wal_flush_lsn() >= '"
                                      + written
                                      + "'::pg_lsn")));
          String commitEnd =
              text(
                  b,
                  "SELECT end_lsn::text FROM pg_get_wal_records_info('"
                      + start
                      + "', pg_current_wal_flush_lsn())"
                      + " WHERE xid = '"
                      + bXid
                      + "' AND resource_manager = 'Transaction' AND record_type = 'COMMIT'");
          boolean adjacent =
              "t"
                  .equals(
                      text(
                          b,
                          "SELECT start_lsn = '"
                              + commitEnd
                              + "'::pg_lsn AND xid = '"
                              + aXid
                              + "' FROM pg_get_wal_records_info('"
                              + commitEnd
                              + "', pg_current_wal_flush_lsn()) ORDER BY start_lsn LIMIT 1"));
          if (!adjacent) {
            a.rollback();
            continue; // something else wrote WAL in between: try again
          }
          // The capturing JVM commits B's end, then dies at once.
          await()
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(10))
              .until(() -> committedAt(commitEnd));
          child.kill();
          a.commit();
        }
        child = launch(attempt);
        Set<Integer> expected =
            IntStream.rangeClosed(base + 1, base + 10).boxed().collect(Collectors.toSet());
        ChildJvm running = child;
        try {
          await()
              .atMost(TIMEOUT)
              .pollInterval(Duration.ofMillis(500))
              .until(() -> publishedIds().containsAll(expected) || !running.isAlive());
        } catch (ConditionTimeoutException e) {
          // the assertion says what is missing
        }
        assertThat(publishedIds())
            .as("end of the capturing JVM's log:\n%s", child.logTail())
            .containsAll(expected);
        System.out.println("InterleavedTransactionKilledTest: provoked in attempt " + attempt);
        return;
      }
      throw new AssertionError(
          "In "
              + ATTEMPTS
              + " attempts, something else always wrote WAL between B's commit and A's next change");
    } finally {
      child.close();
    }
  }

  /** Whether the pipeline's offsets in PostgreSQL are committed at the given position. */
  private static boolean committedAt(String lsn) {
    return !pg.query(
            "SELECT 1 FROM public.datis_offsets WHERE pipeline = '"
                + PIPELINE
                + "'"
                + " AND (convert_from(offset_value, 'UTF8')::json ->> 'lsn_commit')::bigint = '"
                + lsn
                + "'::pg_lsn - '0/0'::pg_lsn",
            row -> row.getInt(1))
        .isEmpty();
  }

  private static Set<Integer> publishedIds() {
    Set<Integer> ids = new HashSet<>();
    for (PubsubMessage message : pubsub.publishedMessages(PROJECT, TOPIC)) {
      try {
        ids.add(JSON.readTree(message.getData().toByteArray()).get("after").get("id").asInt());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return ids;
  }

  private static ChildJvm launch(int generation) {
    return ChildJvm.launch(
        "interleaved-" + generation,
        List.of("-Xmx256m"),
        pg,
        pubsub,
        "project=" + PROJECT,
        "topic=" + TOPIC,
        "name=" + PIPELINE,
        "table=public.long_tx,public.short_tx");
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
}
