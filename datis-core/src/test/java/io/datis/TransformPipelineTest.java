package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.TransformException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.transform.TransformResult;
import io.datis.api.transform.Transforms;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class TransformPipelineTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path offsetsDir;

  @Test
  void transformsFilterDropMaskAndRouteInTheOrderAdded() throws Exception {
    pg.execute(
        "CREATE TABLE public.users (id int PRIMARY KEY, email text, status text, notes text)");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("transforms")
            .tables("public.users")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .transform(
                Transforms.filter(
                    e -> !"draft".equals(e.after().map(r -> r.get("status")).orElse(null))))
            .transform(Transforms.dropColumns("notes"))
            .transform(Transforms.hashColumns("email"))
            // Runs after hashColumns, so it sees the hash, not the address.
            .transform(
                Transforms.route(
                    e ->
                        "users-" + ((String) e.after().orElseThrow().get("email")).substring(0, 4)))
            .to(sink)
            .start()) {
      pg.execute(
          "INSERT INTO users VALUES (1, 'ada@example.com', 'draft', 'n1')",
          "INSERT INTO users VALUES (2, 'bob@example.com', 'active', 'n2')");

      ChangeEvent event = sink.awaitEvents(1, TIMEOUT).get(0);

      String hash = sha256("bob@example.com");
      assertThat(event.after().orElseThrow())
          .containsExactly(
              Map.entry("id", 2), Map.entry("email", hash), Map.entry("status", "active"));
      assertThat(event.destination()).contains("users-" + hash.substring(0, 4));
      assertThat(sink.events()).hasSize(1);
    }
  }

  @Test
  void droppedEventsAreCommittedAndNotDeliveredAgainAfterRestart() {
    pg.execute("CREATE TABLE public.notes (id int PRIMARY KEY, body text)");
    Path offsets = offsetsDir.resolve("dropped.offsets");
    InMemorySink sink = new InMemorySink();
    try (Pipeline dropsEverything =
        Datis.capture(pg.source())
            .name("dropped")
            .tables("public.notes")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.file(offsets))
            .transform(Transforms.filter(e -> false))
            .to(sink)
            .start()) {
      pg.execute("INSERT INTO notes VALUES (1, 'dropped')");
      long beforeLastDropped = currentLsn();
      pg.execute("INSERT INTO notes VALUES (2, 'dropped')");
      // The slot only moves over committed offsets: once it passes the last dropped transaction,
      // the
      // dropped events are committed.
      waitUntilSlotConfirmedPast(beforeLastDropped);
    }

    try (Pipeline keepsEverything =
        Datis.capture(pg.source())
            .name("dropped")
            .tables("public.notes")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.file(offsets))
            .to(sink)
            .start()) {
      pg.execute("INSERT INTO notes VALUES (3, 'kept')");
      List<ChangeEvent> events = sink.awaitEvents(1, TIMEOUT);
      assertThat(events).extracting(e -> e.key().get("id")).containsExactly(3);
      assertThat(events).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT);
    }
  }

  @Test
  void aThrowingTransformStopsThePipelineNamingItAndThePositionButNoValues() throws Exception {
    pg.execute("CREATE TABLE public.secrets (id int PRIMARY KEY, secret text)");
    InMemorySink sink = new InMemorySink();
    Pipeline pipeline =
        Datis.capture(pg.source())
            .name("throwing")
            .tables("public.secrets")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .transform(Transforms.named("keep-all", e -> TransformResult.keep()))
            .transform(
                Transforms.named(
                    "explode",
                    e -> {
                      throw new IllegalStateException(
                          "cannot handle " + e.after().orElseThrow().get("secret"));
                    }))
            .to(sink)
            .start();
    long txId;
    try (var connection = pg.connect();
        var statement = connection.createStatement()) {
      connection.setAutoCommit(false);
      statement.execute("INSERT INTO secrets VALUES (1, 'hunter2')");
      var row = statement.executeQuery("SELECT txid_current()");
      row.next();
      txId = row.getLong(1);
      connection.commit();
    }

    assertThatThrownBy(() -> pipeline.awaitTermination(TIMEOUT))
        .isInstanceOf(TransformException.class)
        .isSameAs(pipeline.failure().orElseThrow());

    assertThat(pipeline.isRunning()).isFalse();
    assertThat(pipeline.health().status()).isEqualTo(Health.Status.DOWN);
    assertThat(pipeline.health().reasons())
        .singleElement()
        .asString()
        .startsWith("failed: Transform #2 'explode' failed");
    assertThat(sink.events()).isEmpty();
    TransformException failure = (TransformException) pipeline.failure().orElseThrow();
    assertThat(failure.transformName()).isEqualTo("explode");
    assertThat(failure.position().transactionId()).isEqualTo(txId);
    assertThat(failure.getMessage())
        .isEqualTo(
            "Transform #2 'explode' failed on INSERT of public.secrets at "
                + failure.position()
                + ": it threw java.lang.IllegalStateException (the cause holds its message)")
        .contains("tx " + txId + " #1")
        .doesNotContain("hunter2");
    assertThat(failure.getCause()).hasMessage("cannot handle hunter2");
  }

  private static long currentLsn() {
    return pg.query("SELECT pg_current_wal_lsn() - '0/0'", row -> row.getLong(1)).get(0);
  }

  private static void waitUntilSlotConfirmedPast(long lsn) {
    org.awaitility.Awaitility.await()
        .atMost(TIMEOUT)
        .until(
            () ->
                pg.query(
                            "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = 'datis_dropped'",
                            row -> row.getLong(1))
                        .get(0)
                    > lsn);
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
