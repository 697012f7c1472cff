package io.datis.testkit.internal;

import io.datis.postgres.PostgresSource;
import io.datis.testkit.DatisPostgres.FixtureException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A physical standby of an {@link EmbeddedFixtureServer}, set up as PostgreSQL 17 needs it for
 * failover slots: streaming replication through the physical slot {@value #SLOT} on the primary,
 * {@code hot_standby_feedback} and {@code sync_replication_slots} on, and a {@code dbname} in its
 * {@code primary_conninfo}; the primary names the slot in {@code synchronized_standby_slots} unless
 * the test set that setting itself.
 *
 * <p>The embedded binaries have no {@code pg_basebackup}: the standby is made from a copy of the
 * primary's data directory, taken while the primary is stopped once, at its first start.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class EmbeddedStandbyFixtureServer extends FixtureServer {

  /** The primary's physical replication slot for this standby. */
  public static final String SLOT = "datis_standby";

  private static final String USER = EmbeddedFixtureServer.USER;
  private static final String PASSWORD = EmbeddedFixtureServer.PASSWORD;
  private static final String DATABASE = EmbeddedFixtureServer.DATABASE;

  private final EmbeddedServer server = new EmbeddedServer(USER, PASSWORD);
  private volatile boolean created;

  /** The primary's settings, but {@code synchronized_standby_slots}, which names its slots. */
  private volatile Map<String, String> startSettings = Map.of();

  EmbeddedStandbyFixtureServer() {}

  /**
   * Makes this standby of the running {@code primary}, started with {@code primarySettings}: stops
   * the primary, copies its data, and starts both. Only once.
   */
  void createFrom(EmbeddedServer primary, Map<String, String> primarySettings, int primaryPort) {
    try (Connection connection =
            Connections.open(
                "jdbc:postgresql://" + EmbeddedServer.HOST + ":" + primaryPort + "/" + DATABASE,
                USER,
                PASSWORD);
        Statement statement = connection.createStatement()) {
      statement.execute(
          "SELECT pg_create_physical_replication_slot('"
              + SLOT
              + "', true)"
              + " WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '"
              + SLOT
              + "')");
      try (ResultSet version = statement.executeQuery("SHOW server_version_num")) {
        version.next();
        if (Integer.parseInt(version.getString(1)) < 170000) {
          throw new FixtureException(
              "withStandby() needs PostgreSQL 17 or later (slot synchronization), but the server"
                  + " is "
                  + version.getString(1),
              null);
        }
      }
    } catch (SQLException e) {
      throw new FixtureException("Could not prepare the primary for a standby: " + e, e);
    }
    primary.stop();
    server.copyDataOf(primary, (data, owner) -> configureAsStandby(data, primaryPort, owner));
    primary.start(primarySettings, primaryPort);
    Map<String, String> settings = new LinkedHashMap<>(primarySettings);
    settings.remove("synchronized_standby_slots");
    startSettings = settings;
    created = true;
    start();
  }

  private static void configureAsStandby(Path data, int primaryPort, @Nullable String owner)
      throws IOException {
    try (var slots = Files.list(data.resolve("pg_replslot"))) {
      for (Path slot : (Iterable<Path>) slots::iterator) {
        Directories.deleteRecursively(slot); // the primary's slots are its own
      }
    }
    Files.deleteIfExists(data.resolve("postmaster.opts"));
    Path signal = data.resolve("standby.signal");
    Files.writeString(signal, "");
    Path autoConf = data.resolve("postgresql.auto.conf");
    Files.writeString(
        autoConf,
        "primary_conninfo = 'host="
            + EmbeddedServer.HOST
            + " port="
            + primaryPort
            + " user="
            + USER
            + " password="
            + PASSWORD
            + " dbname="
            + DATABASE
            + " application_name="
            + SLOT
            + "'\n"
            + "primary_slot_name = '"
            + SLOT
            + "'\n"
            + "hot_standby_feedback = on\n"
            + "sync_replication_slots = on\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    if (owner != null) {
      Directories.chown(signal, owner);
    }
  }

  /** Whether {@link #createFrom} made it. */
  boolean isCreated() {
    return created;
  }

  /** Promotes the standby to a primary and waits until it accepts writes. */
  public void promote() {
    try (Connection connection =
            Connections.open(jdbcUrl(EmbeddedStandbyFixtureServer::notCreated), USER, PASSWORD);
        Statement statement = connection.createStatement();
        ResultSet promoted = statement.executeQuery("SELECT pg_promote(true, 60)")) {
      promoted.next();
      if (!promoted.getBoolean(1)) {
        throw new FixtureException("The standby was not promoted within 60 s", null);
      }
    } catch (SQLException e) {
      throw new FixtureException("Could not promote the standby: " + e.getMessage(), e);
    }
  }

  /** Stops the standby immediately, as after a crash. */
  public void stopImmediately() {
    server.stop("immediate");
  }

  /** Starts the standby again after {@link #stop}; it is first started by its primary. */
  @Override
  public void start() {
    if (!created) {
      throw notCreated("start()");
    }
    server.start(startSettings, 0);
  }

  @Override
  public void stop(String call) {
    server.stop();
  }

  @Override
  public boolean isRunning() {
    return server.isRunning();
  }

  @Override
  public void close() {
    server.close();
  }

  @Override
  public PostgresSource source(String call, NotStarted notStarted) {
    return PostgresSource.builder()
        .host(EmbeddedServer.HOST)
        .port(port(notStarted))
        .database(DATABASE)
        .user(USER)
        .password(PASSWORD)
        .build();
  }

  @Override
  public int port(NotStarted notStarted) {
    int port = server.port();
    if (port == 0) {
      throw notStarted.exception("port()");
    }
    return port;
  }

  @Override
  public String describe(@Nullable String testDatabase) {
    int port = server.port();
    return describe(
        "embedded standby " + EmbeddedServer.HOST + ":" + (port == 0 ? "<not started>" : port),
        testDatabase,
        USER);
  }

  private static IllegalStateException notCreated(String call) {
    return new IllegalStateException(
        call + " needs the standby, which starts with its primary: start the primary first");
  }
}
