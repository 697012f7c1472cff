package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.api.ConfigurationException;
import io.datis.api.SourceException;
import io.datis.postgres.PostgresSource;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each way a pipeline can fail to start gives a clear error that names the problem and its fix. */
class StartupErrorsTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  @RegisterExtension
  static final DatisPostgres withoutLogicalReplication =
      DatisPostgres.embedded().withSetting("wal_level", "replica");

  @RegisterExtension
  static final DatisPostgres fewReplicationResources =
      DatisPostgres.embedded()
          .withSetting("max_wal_senders", "1")
          .withSetting("max_replication_slots", "2");

  @Test
  void noFreeWalSenderIsReportedWithTheFix() {
    fewReplicationResources.execute("CREATE TABLE IF NOT EXISTS public.busy (id int PRIMARY KEY)");
    PostgresSource source = fewReplicationResources.source();
    try (Pipeline first = pipelineOn(source, "first-sender").start()) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  fewReplicationResources.query(
                      "SELECT active FROM pg_replication_slots WHERE slot_name = 'datis_first_sender'",
                      row -> row.getBoolean(1)),
              active -> active.equals(java.util.List.of(true)));
      assertThatThrownBy(() -> pipelineOn(source, "second-sender").start())
          .isInstanceOf(SourceException.class)
          .hasMessage(
              "PostgreSQL at 127.0.0.1:"
                  + fewReplicationResources.port()
                  + " has no free WAL sender for the replication connection: all 1 (max_wal_senders) are in use by"
                  + " replication clients. Fix: stop a replication client that is no longer needed, or raise"
                  + " max_wal_senders (ALTER SYSTEM SET max_wal_senders = 2;) and restart PostgreSQL");
    }
  }

  @Test
  void noFreeReplicationSlotIsReportedWithTheFix() {
    fewReplicationResources.execute(
        "CREATE TABLE IF NOT EXISTS public.busy (id int PRIMARY KEY)",
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots",
        "SELECT pg_create_logical_replication_slot('leftover_a', 'pgoutput')",
        "SELECT pg_create_logical_replication_slot('leftover_b', 'pgoutput')");
    try {
      assertThatThrownBy(() -> pipelineOn(fewReplicationResources.source(), "slotless").start())
          .isInstanceOf(SourceException.class)
          .hasMessage(
              "PostgreSQL at 127.0.0.1:"
                  + fewReplicationResources.port()
                  + " has no free replication slot for 'datis_slotless': all 2 (max_replication_slots) exist, of"
                  + " which unused: leftover_a, leftover_b. Fix: drop slots that are no longer needed (SELECT"
                  + " pg_drop_replication_slot('name');), or raise max_replication_slots (ALTER SYSTEM SET"
                  + " max_replication_slots = 3;) and restart PostgreSQL");
    } finally {
      fewReplicationResources.execute(
          "SELECT pg_drop_replication_slot('leftover_a')",
          "SELECT pg_drop_replication_slot('leftover_b')");
    }
  }

  private static PipelineBuilder pipelineOn(PostgresSource source, String name) {
    return Datis.capture(source)
        .name(name)
        .tables("public.busy")
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory())
        .to(new InMemorySink());
  }

  @Test
  void walLevelOtherThanLogicalIsReportedWithTheFix() {
    withoutLogicalReplication.execute("CREATE TABLE IF NOT EXISTS public.t (id int PRIMARY KEY)");

    assertThatThrownBy(
            () ->
                Datis.capture(withoutLogicalReplication.source())
                    .tables("public.t")
                    .to(new InMemorySink())
                    .start())
        .isInstanceOf(SourceException.class)
        .hasMessage(
            "PostgreSQL at 127.0.0.1:"
                + withoutLogicalReplication.port()
                + " has wal_level 'replica', but change capture needs 'logical'. Fix: run ALTER SYSTEM SET"
                + " wal_level = logical; and restart PostgreSQL (on a managed service, turn on its logical"
                + " replication setting)");
  }

  @Test
  void missingTableIsReportedWithTheFix() {
    pg.execute("CREATE TABLE public.present (id int PRIMARY KEY)");

    assertThatThrownBy(
            () ->
                Datis.capture(pg.source())
                    .name("missing-table")
                    .tables("public.present", "public.absent")
                    .to(new InMemorySink())
                    .start())
        .isInstanceOf(SourceException.class)
        .hasMessage(
            "Table public.absent does not exist in database 'postgres'. Check the names given to tables(...):"
                + " they are schema-qualified and case-sensitive, e.g. \"public.orders\"");
  }

  @Test
  void userWithoutReplicationPrivilegeIsReportedWithTheFix() {
    pg.execute(
        "CREATE ROLE plain_user LOGIN PASSWORD 'plain-secret' NOREPLICATION",
        "CREATE TABLE public.guarded (id int PRIMARY KEY)",
        "GRANT SELECT ON public.guarded TO plain_user");
    PostgresSource source =
        pg.source().toBuilder().user("plain_user").password("plain-secret").build();

    assertThatThrownBy(
            () ->
                Datis.capture(source)
                    .name("no-privilege")
                    .tables("public.guarded")
                    .to(new InMemorySink())
                    .start())
        .isInstanceOf(SourceException.class)
        .hasMessage(
            "User 'plain_user' lacks the REPLICATION privilege needed to read changes. Fix: as a superuser run"
                + " ALTER ROLE \"plain_user\" WITH REPLICATION;")
        .hasMessageNotContaining("plain-secret");
  }

  @Test
  void slotActiveForAnotherProcessIsReportedWithTheFix() {
    pg.execute("CREATE TABLE public.shared (id int PRIMARY KEY)");
    PostgresSource source = pg.source();
    try (Pipeline first =
        Datis.capture(source)
            .name("first")
            .slotName("shared_slot")
            .tables("public.shared")
            .offsets(OffsetStore.inMemory())
            .to(new InMemorySink())
            .start()) {
      await().atMost(Duration.ofSeconds(60)).until(() -> activePid("shared_slot") != null);
      Integer pid = activePid("shared_slot");

      assertThatThrownBy(
              () ->
                  Datis.capture(source)
                      .name("second")
                      .slotName("shared_slot")
                      .tables("public.shared")
                      .offsets(OffsetStore.inMemory())
                      .standby(false)
                      .to(new InMemorySink())
                      .start())
          .isInstanceOf(SourceException.class)
          .hasMessage(
              "Replication slot 'shared_slot' is already active for another process (PID "
                  + pid
                  + "): another pipeline or client is reading from it. Stop that reader first, or give this"
                  + " pipeline its own slot with the pipeline builder's slotName(...)");
      assertThat(first.isRunning()).isTrue();
    }
  }

  @Test
  void everyProblemWithTheTablesIsReportedAtOnceWithTheFix() {
    pg.execute(
        "CREATE ROLE reader_without_select LOGIN PASSWORD 'secret' REPLICATION",
        "CREATE TABLE public.secret_a (id int PRIMARY KEY)",
        "CREATE TABLE public.secret_b (id int PRIMARY KEY)");
    PostgresSource source =
        pg.source().toBuilder().user("reader_without_select").password("secret").build();

    assertThatThrownBy(
            () ->
                Datis.capture(source)
                    .name("no-select")
                    .tables("public.secret_a", "public.secret_b", "public.nowhere")
                    .to(new InMemorySink())
                    .start())
        .isInstanceOf(SourceException.class)
        .hasMessage(
            "PostgreSQL at 127.0.0.1:"
                + pg.port()
                + "/postgres cannot be captured from, for 2 reasons:\n"
                + "  - User 'reader_without_select' may not read tables public.secret_a, public.secret_b, which"
                + " the snapshot and the publication need. Fix: GRANT SELECT ON \"public\".\"secret_a\","
                + " \"public\".\"secret_b\" TO \"reader_without_select\";\n"
                + "  - Table public.nowhere does not exist in database 'postgres'. Check the names given to"
                + " tables(...): they are schema-qualified and case-sensitive, e.g. \"public.orders\"");
  }

  @Test
  void anInvalidatedSlotIsReportedWithTheFix() {
    try (DatisPostgres smallWalBudget =
        DatisPostgres.embedded().withSetting("max_slot_wal_keep_size", "1MB").start()) {
      smallWalBudget.execute(
          "CREATE TABLE public.orders (id int PRIMARY KEY)",
          "SELECT pg_create_logical_replication_slot('datis_lost', 'pgoutput')",
          "CREATE TABLE filler AS SELECT i, repeat('x', 100) AS pad FROM generate_series(1, 200000) i",
          "SELECT pg_switch_wal()",
          "CHECKPOINT",
          "SELECT pg_switch_wal()",
          "CHECKPOINT");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  smallWalBudget.query(
                      "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'datis_lost'",
                      row -> row.getString(1)),
              status -> status.equals(java.util.List.of("lost")));

      assertThatThrownBy(
              () ->
                  Datis.capture(smallWalBudget.source())
                      .name("lost")
                      .tables("public.orders")
                      .to(new InMemorySink())
                      .start())
          .isInstanceOf(SourceException.class)
          .hasMessage(
              "Replication slot 'datis_lost' is invalidated (wal_status = lost): PostgreSQL removed WAL the"
                  + " slot still needed, so changes made since this pipeline last ran are gone. Fix: to start"
                  + " over and read the tables afresh, start the pipeline once with resnapshotIfSlotLost();"
                  + " raise max_slot_wal_keep_size and watch the slot lag so that it does not happen again");

      smallWalBudget.execute("INSERT INTO orders VALUES (1)");
      InMemorySink sink = new InMemorySink();
      try (Pipeline startedOver =
          Datis.capture(smallWalBudget.source())
              .name("lost")
              .tables("public.orders")
              .resnapshotIfSlotLost()
              .offsets(OffsetStore.inMemory())
              .to(sink)
              .start()) {
        assertThat(sink.awaitEvents(1, Duration.ofSeconds(30)).get(0).operation())
            .isEqualTo(io.datis.api.event.Operation.SNAPSHOT_READ);
        assertThat(
                smallWalBudget.query(
                    "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'datis_lost'",
                    row -> row.getString(1)))
            .containsExactly("reserved");
      }
    }
  }

  @Test
  void wrongPasswordIsReportedWithoutThePassword() {
    PostgresSource source = pg.source().toBuilder().password("not-the-password").build();

    assertThatThrownBy(
            () -> Datis.capture(source).tables("public.t").to(new InMemorySink()).start())
        .isInstanceOf(SourceException.class)
        .hasMessageStartingWith(
            "Cannot connect to PostgreSQL at 127.0.0.1:"
                + pg.port()
                + "/postgres as user 'postgres': ")
        .hasMessageContaining("password authentication failed")
        .hasMessageEndingWith(
            ". Check host, port, database, user and password, and that the server accepts connections from this machine")
        .hasMessageNotContaining("not-the-password");
  }

  @Test
  void missingSinkAndTablesAreReportedTogetherBeforeTouchingTheDatabase() {
    PostgresSource unreachable =
        PostgresSource.builder().host("127.0.0.1").port(1).database("x").user("u").build();

    assertThatThrownBy(() -> Datis.capture(unreachable).name("empty").start())
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(
            "Pipeline 'empty' cannot start (2 problems):\n"
                + "  - no sink: call to(sink) with where the events should go\n"
                + "  - no tables: call tables(\"schema.table\", ...) with the tables to capture");
  }

  @Test
  void invalidBuilderArgumentsAreRejectedWhereTheyAreGiven() {
    assertThatThrownBy(() -> Datis.capture(pg.source()).slotName("Bad-Slot"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid replication slot name 'Bad-Slot': use 1 to 63 lower-case letters, digits and underscores, e.g. 'orders_cdc'");
    assertThatThrownBy(() -> Datis.capture(pg.source()).tables("orders"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Table name 'orders' is not schema-qualified: write it as schema.table, e.g. 'public.orders'");
    assertThatThrownBy(() -> Datis.capture(pg.source()).name("has space"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid pipeline name 'has space': use 1 to 50 letters, digits, '_', '.' or '-', starting with a letter or digit");
    assertThatThrownBy(() -> Datis.capture(pg.source()).maxBatchSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBatchSize must be at least 1, but was 0");
  }

  @Test
  void sourceToStringNeverShowsThePassword() {
    PostgresSource source = pg.source().toBuilder().password("s3cr3t-value").build();

    assertThat(source.toString())
        .isEqualTo(
            "PostgresSource{jdbc:postgresql://127.0.0.1:"
                + pg.port()
                + "/postgres, user=postgres, password=<redacted>}")
        .doesNotContain("s3cr3t-value");
  }

  private static Integer activePid(String slot) {
    return pg
        .query(
            "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '"
                + slot
                + "' AND active",
            row -> row.getInt(1))
        .stream()
        .findFirst()
        .orElse(null);
  }
}
