package io.datis.testkit.internal;

import io.datis.postgres.PostgresSource;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An {@link EmbeddedServer} behind a {@code DatisPostgres}, with the superuser {@code postgres}
 * (password {@code postgres}) and the database {@code postgres}. All of its coordinates but the
 * port are known before it starts, and the port too when one was requested.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class EmbeddedFixtureServer extends FixtureServer {

  static final String USER = "postgres";
  static final String PASSWORD = "postgres";
  static final String DATABASE = "postgres";

  private final EmbeddedServer server = new EmbeddedServer(USER, PASSWORD);
  private @Nullable EmbeddedStandbyFixtureServer standby;

  /** A server that is not started yet. */
  public EmbeddedFixtureServer() {}

  /**
   * Gives the server a physical standby, made at its first start; names the standby's slot in
   * {@code synchronized_standby_slots} unless that is set already.
   */
  public EmbeddedStandbyFixtureServer withStandby() {
    EmbeddedStandbyFixtureServer existing = standby;
    if (existing != null) {
      return existing;
    }
    if (!effectiveSettings().containsKey("synchronized_standby_slots")) {
      addSetting("synchronized_standby_slots", EmbeddedStandbyFixtureServer.SLOT);
    }
    EmbeddedStandbyFixtureServer created = new EmbeddedStandbyFixtureServer();
    standby = created;
    return created;
  }

  @Override
  public void start() {
    Map<String, String> settings = effectiveSettings();
    EmbeddedStandbyFixtureServer pending = standby;
    if (pending == null || pending.isCreated()) {
      server.start(settings, settings().requestedPort());
      return;
    }
    // The slot that synchronized_standby_slots names does not exist before the standby does.
    Map<String, String> first = new LinkedHashMap<>(settings);
    first.remove("synchronized_standby_slots");
    server.start(first, settings().requestedPort());
    pending.createFrom(server, settings, server.port());
  }

  @Override
  public void stop(String call) {
    server.stop();
  }

  /** Stops the server immediately, as after a crash: crash recovery at the next start. */
  public void stopImmediately() {
    server.stop("immediate");
  }

  @Override
  public boolean isRunning() {
    return server.isRunning();
  }

  @Override
  public void close() {
    EmbeddedStandbyFixtureServer made = standby;
    if (made != null) {
      made.close();
    }
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
  public String host(NotStarted notStarted) {
    return EmbeddedServer.HOST;
  }

  @Override
  public int port(NotStarted notStarted) {
    int port = server.port();
    if (port != 0) {
      return port;
    }
    int requested = settings().requestedPort();
    if (requested != 0) {
      return requested;
    }
    throw notStarted.exception("port()");
  }

  @Override
  public String database(NotStarted notStarted) {
    return DATABASE;
  }

  @Override
  public String user(NotStarted notStarted) {
    return USER;
  }

  @Override
  public String password(NotStarted notStarted) {
    return PASSWORD;
  }

  @Override
  public String describe(@Nullable String testDatabase) {
    int port = server.port();
    return describe(
        "embedded " + EmbeddedServer.HOST + ":" + (port == 0 ? "<not started>" : port),
        testDatabase,
        USER);
  }
}
