package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.TableId;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class CaptureTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void deliversInsertsUpdatesDeletesAndTruncatesOfTwoTablesInCommitOrder() {
    pg.execute(
        "CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL)",
        "CREATE TABLE public.orders (id bigint PRIMARY KEY, customer int NOT NULL, status text)",
        "CREATE TABLE public.audit (id serial PRIMARY KEY, note text)");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("capture-order")
            .tables("public.customers", "public.orders")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      Instant beforeCommits = Instant.now().minusSeconds(5);
      pg.execute(
          "BEGIN; INSERT INTO customers VALUES (1, 'Ada'); INSERT INTO orders VALUES (10, 1, 'new'); COMMIT",
          "INSERT INTO audit (note) VALUES ('not captured')",
          "UPDATE orders SET status = 'paid' WHERE id = 10",
          "BEGIN; DELETE FROM orders WHERE id = 10; UPDATE customers SET name = 'Ada L.' WHERE id = 1; COMMIT",
          "TRUNCATE orders");

      List<ChangeEvent> events = sink.awaitEvents(6, TIMEOUT);

      assertThat(events)
          .extracting(ChangeEvent::operation, e -> e.table().toString())
          .containsExactly(
              tuple(Operation.INSERT, "public.customers"),
              tuple(Operation.INSERT, "public.orders"),
              tuple(Operation.UPDATE, "public.orders"),
              tuple(Operation.DELETE, "public.orders"),
              tuple(Operation.UPDATE, "public.customers"),
              tuple(Operation.TRUNCATE, "public.orders"));

      ChangeEvent insert = events.get(1);
      assertThat(insert.keyColumns()).containsExactly("id");
      assertThat(insert.key()).isEqualTo(Map.of("id", 10L));
      assertThat(insert.before()).isEmpty();
      assertThat(insert.after().orElseThrow())
          .containsExactly(
              Map.entry("id", 10L), Map.entry("customer", 1), Map.entry("status", "new"));

      ChangeEvent update = events.get(2);
      assertThat(update.after().orElseThrow()).containsEntry("status", "paid");

      ChangeEvent delete = events.get(3);
      assertThat(delete.after()).isEmpty();
      // Replica identity DEFAULT sends only the key of a deleted row; nothing else is made up.
      assertThat(delete.before().orElseThrow()).containsExactly(Map.entry("id", 10L));
      assertThat(delete.key()).isEqualTo(Map.of("id", 10L));

      ChangeEvent truncate = events.get(5);
      assertThat(truncate.before()).isEmpty();
      assertThat(truncate.after()).isEmpty();
      assertThat(truncate.key()).isEmpty();

      // Positions: the two changes of the first transaction share its id and are numbered 1, 2.
      assertThat(events.get(0).position().transactionId())
          .isEqualTo(events.get(1).position().transactionId())
          .isPositive();
      assertThat(events.get(0).position().sequence()).isEqualTo(1);
      assertThat(events.get(1).position().sequence()).isEqualTo(2);
      assertThat(events.get(3).position().transactionId())
          .isEqualTo(events.get(4).position().transactionId());
      assertThat(events.get(2).position().transactionId())
          .isNotEqualTo(events.get(0).position().transactionId());
      // LSNs never go backwards, and each transaction id matches the one PostgreSQL reports.
      for (int i = 1; i < events.size(); i++) {
        assertThat(events.get(i).position().lsn())
            .isGreaterThanOrEqualTo(events.get(i - 1).position().lsn());
      }
      assertThat(events)
          .allSatisfy(
              e -> assertThat(e.commitTime()).isAfter(beforeCommits).isBefore(Instant.now()));
      assertThat(events).noneMatch(e -> e.table().equals(TableId.parse("public.audit")));
    }
  }

  @Test
  void beforeImagesHoldExactlyWhatTheReplicaIdentitySends() {
    pg.execute(
        "CREATE TABLE public.accounts_default (id int PRIMARY KEY, owner text NOT NULL, balance int NOT NULL)",
        "CREATE TABLE public.accounts_full (id int PRIMARY KEY, owner text NOT NULL, balance int NOT NULL)",
        "ALTER TABLE public.accounts_full REPLICA IDENTITY FULL");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("identity")
            .tables("public.accounts_default", "public.accounts_full")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      for (String table : List.of("accounts_default", "accounts_full")) {
        pg.execute(
            "INSERT INTO " + table + " VALUES (1, 'ada', 100)",
            "UPDATE " + table + " SET balance = 50 WHERE id = 1",
            "DELETE FROM " + table + " WHERE id = 1");
      }

      List<ChangeEvent> events = sink.awaitEvents(6, TIMEOUT);

      assertThat(events.get(1).before()).as("DEFAULT update").isEmpty();
      assertThat(events.get(2).before().orElseThrow())
          .as("DEFAULT delete")
          .containsExactly(Map.entry("id", 1));
      assertThat(events.get(4).before().orElseThrow())
          .as("FULL update")
          .containsExactly(
              Map.entry("id", 1), Map.entry("owner", "ada"), Map.entry("balance", 100));
      assertThat(events.get(5).before().orElseThrow())
          .as("FULL delete")
          .containsExactly(Map.entry("id", 1), Map.entry("owner", "ada"), Map.entry("balance", 50));
    }
  }

  @Test
  void reportsPositionsThatMatchPostgresTransactionIdsAndLsns() {
    pg.execute("CREATE TABLE public.ledger (id int PRIMARY KEY, amount numeric)");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("positions")
            .tables("public.ledger")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      long lsnBefore =
          pg.query("SELECT pg_current_wal_lsn() - '0/0'", row -> row.getLong(1)).get(0);
      long txId;
      try (var connection = pg.connect();
          var statement = connection.createStatement()) {
        connection.setAutoCommit(false);
        statement.execute("INSERT INTO ledger VALUES (1, 10.5)");
        var rs = statement.executeQuery("SELECT txid_current()");
        rs.next();
        txId = rs.getLong(1);
        connection.commit();
      } catch (java.sql.SQLException e) {
        throw new AssertionError(e);
      }
      long lsnAfter = pg.query("SELECT pg_current_wal_lsn() - '0/0'", row -> row.getLong(1)).get(0);

      ChangeEvent event = sink.awaitEvents(1, TIMEOUT).get(0);

      org.awaitility.Awaitility.await()
          .atMost(TIMEOUT)
          .until(() -> pipeline.health().lastCommittedLsn().isPresent());
      Health health = pipeline.health();
      assertThat(health.status()).isEqualTo(Health.Status.UP);
      assertThat(health.reasons()).isEmpty();
      assertThat(health.lastEventTime()).isPresent();
      assertThat(io.datis.api.event.Position.parseLsn(health.lastCommittedLsn().orElseThrow()))
          .isGreaterThanOrEqualTo(event.position().lsn());
      assertThat(event.position().transactionId()).isEqualTo(txId);
      assertThat(event.position().lsn()).isBetween(lsnBefore, lsnAfter);
      assertThat(event.position().lsnText()).matches("[0-9A-F]+/[0-9A-F]+");
    }
  }
}
