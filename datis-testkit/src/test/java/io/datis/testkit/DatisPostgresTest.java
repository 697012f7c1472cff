package io.datis.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.postgres.PostgresSource;
import io.datis.postgres.internal.SourcePasswords;
import io.datis.testkit.DatisPostgres.FixtureException;
import io.datis.testkit.internal.ContainerServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DatisPostgresTest {

  @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded();

  @Test
  void serverHasLogicalReplicationEnabled() {
    assertThat(pg.query("SHOW wal_level", row -> row.getString(1))).containsExactly("logical");
    assertThat(pg.query("SHOW max_replication_slots", row -> row.getInt(1))).containsExactly(20);
    assertThat(pg.query("SHOW server_version_num", row -> row.getInt(1)).get(0))
        .isGreaterThanOrEqualTo(170000);
  }

  @Test
  void createsAndDropsAPgoutputReplicationSlot() {
    pg.execute("SELECT pg_create_logical_replication_slot('t', 'pgoutput')");
    assertThat(
            pg.query(
                "SELECT plugin FROM pg_replication_slots WHERE slot_name = 't'",
                row -> row.getString(1)))
        .containsExactly("pgoutput");

    pg.execute("SELECT pg_drop_replication_slot('t')");
    assertThat(pg.query("SELECT slot_name FROM pg_replication_slots", row -> row.getString(1)))
        .isEmpty();
  }

  @Test
  void listensOnLoopbackWithTheDocumentedCoordinates() {
    assertThat(pg.host()).isEqualTo("127.0.0.1");
    assertThat(pg.port()).isBetween(1, 65535);
    assertThat(pg.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres");
    assertThat(pg.user()).isEqualTo("postgres");
    assertThat(pg.password()).isEqualTo("postgres");
    assertThat(pg.database()).isEqualTo("postgres");
    assertThat(pg.query("SHOW listen_addresses", row -> row.getString(1)))
        .containsExactly("127.0.0.1");
  }

  @Test
  void sourceDescribesThisServer() {
    PostgresSource source = pg.source();

    assertThat(source.host()).isEqualTo("127.0.0.1");
    assertThat(source.port()).isEqualTo(pg.port());
    assertThat(source.database()).isEqualTo("postgres");
    assertThat(source.user()).isEqualTo("postgres");
    assertThat(SourcePasswords.of(source)).isEqualTo("postgres");
  }

  @Test
  void acceptsThePasswordOverJdbc() throws SQLException {
    try (Connection connection =
        DriverManager.getConnection(pg.jdbcUrl(), "postgres", "postgres")) {
      assertThat(connection.isValid(5)).isTrue();
    }
    try (Connection connection = pg.connect()) {
      assertThat(connection.getAutoCommit()).isTrue();
    }
  }

  @Test
  void rejectsAWrongPassword() {
    assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl(), "postgres", "wrong"))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("password authentication failed for user \"postgres\"");
  }

  @Test
  void acceptsReplicationConnectionsWithThePassword() throws SQLException {
    var properties = new java.util.Properties();
    properties.setProperty("user", "postgres");
    properties.setProperty("password", "postgres");
    properties.setProperty("replication", "database");
    properties.setProperty("assumeMinServerVersion", "17");
    properties.setProperty("preferQueryMode", "simple");
    try (Connection connection = DriverManager.getConnection(pg.jdbcUrl(), properties);
        var statement = connection.createStatement();
        var rows = statement.executeQuery("IDENTIFY_SYSTEM")) {
      assertThat(rows.next()).isTrue();
      assertThat(rows.getString("systemid")).isNotBlank();
    }
  }

  @Test
  void restartKeepsDataAndPort() {
    pg.execute("CREATE TABLE kept (id int PRIMARY KEY)", "INSERT INTO kept VALUES (1), (2)");
    int port = pg.port();

    pg.restart();

    assertThat(pg.isRunning()).isTrue();
    assertThat(pg.port()).isEqualTo(port);
    assertThat(pg.query("SELECT id FROM kept ORDER BY id", row -> row.getInt(1)))
        .containsExactly(1, 2);
    pg.execute("DROP TABLE kept");
  }

  @Test
  void reportsTheFailingStatement() {
    assertThatThrownBy(() -> pg.execute("SELECT 1", "SELEC 2"))
        .isInstanceOf(FixtureException.class)
        .hasMessageStartingWith(
            "Statement failed: SELEC 2\n42601 ERROR: syntax error at or near \"SELEC\"");
  }

  @Test
  void refusesSettingsWhileRunning() {
    assertThatThrownBy(() -> pg.withSetting("wal_level", "replica"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "withSetting(\"wal_level\", ...) was called while the server runs; call it before"
                + " start(), or call stop() first: settings apply at the next start");
  }

  @Test
  void rejectsInvalidSettingNames() {
    assertThatThrownBy(() -> DatisPostgres.embedded().withSetting("wal level", "logical"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "'wal level' is not a PostgreSQL setting name, such as wal_level or max_wal_senders");
  }

  @Test
  void notStartedServerSaysHowToStartIt() {
    DatisPostgres notStarted = DatisPostgres.embedded();

    assertThat(notStarted.isRunning()).isFalse();
    assertThatThrownBy(notStarted::jdbcUrl)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "port() needs a running server, but DatisPostgres{embedded 127.0.0.1:<not started>,"
                + " user=postgres, password=<redacted>} is not running: call start(), or register"
                + " it with @RegisterExtension on a static field");
  }

  @Test
  void toStringHidesThePassword() {
    assertThat(pg.toString()).doesNotContain("=postgres}").contains("password=<redacted>");
  }

  @Test
  void usesAnExistingServerNamedByTheEnvironment() {
    DatisPostgres existing =
        DatisPostgres.automatic(
            Map.of(
                "DATIS_POSTGRES_URL", pg.jdbcUrl(),
                "DATIS_POSTGRES_USER", "postgres",
                "DATIS_POSTGRES_PASSWORD", "postgres"),
            () -> true);

    try (existing) {
      existing.start();
      assertThat(existing.jdbcUrl()).isEqualTo(pg.jdbcUrl());
      assertThat(existing.query("SELECT current_user", row -> row.getString(1)))
          .containsExactly("postgres");
      assertThatThrownBy(existing::restart).isInstanceOf(UnsupportedOperationException.class);
    }
    assertThat(existing.isRunning()).isFalse();
    assertThat(pg.isRunning()).as("closing an existing server leaves it running").isTrue();
  }

  @Test
  void existingServerWithAWrongPasswordFailsToStart() {
    DatisPostgres existing = DatisPostgres.existing(pg.jdbcUrl(), "postgres", "wrong");

    assertThatThrownBy(existing::start)
        .isInstanceOf(FixtureException.class)
        .hasMessageStartingWith(
            "Cannot connect to the existing PostgreSQL at "
                + pg.jdbcUrl()
                + " as 'postgres': FATAL:"
                + " password authentication failed for user \"postgres\"")
        .hasMessageNotContaining("wrong");
  }

  @Test
  void withoutTheEnvironmentVariableOrDockerIsEmbedded() {
    assertThat(DatisPostgres.automatic(Map.of(), () -> false).toString())
        .startsWith("DatisPostgres{embedded ");
  }

  @Test
  void onThisMachineWithoutDockerAutomaticFindsTestcontainersButChoosesEmbedded() {
    assertThat(System.getenv("DATIS_POSTGRES_URL")).as("precondition").isNull();
    assertThat(ContainerServer.testcontainersPresent()).isTrue();

    assertThat(DatisPostgres.automatic().toString()).startsWith("DatisPostgres{embedded ");
  }

  @Test
  void withDockerAutomaticChoosesATestcontainersServer() {
    DatisPostgres chosen = DatisPostgres.automatic(Map.of(), () -> true);

    assertThat(chosen.toString())
        .isEqualTo(
            "DatisPostgres{container postgres:17-alpine <not started>, password=<redacted>}");
    assertThatThrownBy(chosen::restart)
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("a Testcontainers server gets a new port when started again");
  }

  @Test
  void theContainerRunsPostgresWithLogicalReplicationAndTheSameSettings() {
    DatisPostgres container =
        DatisPostgres.testcontainers("postgres:16").withSetting("max_wal_senders", "30");

    List<String> command = container.containerCommand();

    assertThat(command)
        .startsWith("postgres")
        .containsSubsequence("-c", "wal_level=logical")
        .containsSubsequence("-c", "max_wal_senders=30")
        .containsSubsequence("-c", "timezone=UTC")
        .noneMatch(part -> part.startsWith("listen_addresses") || part.startsWith("unix_socket"));
    assertThat(
            new ContainerServer("postgres:16")
                .configure(Map.of("wal_level", "logical"))
                .getCommandParts())
        .as("Testcontainers takes the command without needing Docker")
        .containsExactly("postgres", "-c", "wal_level=logical");
    assertThatThrownBy(() -> container.withSetting("port", "5433"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not apply to a container");
  }

  @Test
  void laterSettingOverridesTheLogicalDefault() {
    try (DatisPostgres replica =
        DatisPostgres.embedded().withSetting("wal_level", "replica").start()) {
      assertThat(replica.query("SHOW wal_level", row -> row.getString(1)))
          .containsExactly("replica");
      assertThat(replica.port()).isNotEqualTo(pg.port());
    }
  }

  @Test
  void settingsChangedWhileStoppedApplyVerbatimAtTheNextStart() {
    try (DatisPostgres server = DatisPostgres.embedded().start()) {
      int port = server.port();

      server.stop();
      assertThat(server.isRunning()).isFalse();
      server.withSetting("max_wal_senders", "5");
      server.withSetting("cluster_name", "it's \"quoted\" $HOME").start();

      assertThat(server.port()).isEqualTo(port);
      assertThat(server.query("SHOW max_wal_senders", row -> row.getString(1)))
          .containsExactly("5");
      assertThat(server.query("SHOW cluster_name", row -> row.getString(1)))
          .containsExactly("it's \"quoted\" $HOME");
    }
  }

  @Test
  void closeStopsTheServerAndStartBeginsAfresh() {
    DatisPostgres server = DatisPostgres.embedded().start();
    server.execute("CREATE TABLE gone (id int)");

    server.close();
    assertThat(server.isRunning()).isFalse();
    server.close();

    server.start();
    try (server) {
      assertThat(server.query("SELECT to_regclass('gone') IS NULL", row -> row.getBoolean(1)))
          .containsExactly(true);
    }
  }

  @Test
  void aBadSettingFailsTheStartWithTheServerLog() {
    DatisPostgres broken = DatisPostgres.embedded().withSetting("max_wal_senders", "many");

    try (broken) {
      assertThatThrownBy(broken::start)
          .isInstanceOf(FixtureException.class)
          .hasMessageContaining("PostgreSQL failed to start on 127.0.0.1:")
          .hasMessageContaining(
              "A server setting is invalid: check the values given to withSetting(...).")
          .hasMessageContaining("invalid value for parameter \"max_wal_senders\": \"many\"");
      assertThat(broken.isRunning()).isFalse();
    }
  }

  @Nested
  class NestedTests {

    @Test
    void shareTheServerOfTheEnclosingClass() {
      assertThat(pg.isRunning()).isTrue();
    }
  }
}
