package io.datis.testkit.internal;

import io.datis.postgres.PostgresSource;
import org.jspecify.annotations.Nullable;

/**
 * An {@link EmbeddedServer} behind a {@code DatisPostgres}, with the superuser {@code postgres}
 * (password {@code postgres}) and the database {@code postgres}. All of its coordinates but the
 * port are known before it starts, and the port too when one was requested.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class EmbeddedFixtureServer extends FixtureServer {

  private static final String USER = "postgres";
  private static final String PASSWORD = "postgres";
  private static final String DATABASE = "postgres";

  private final EmbeddedServer server = new EmbeddedServer(USER, PASSWORD);

  /** A server that is not started yet. */
  public EmbeddedFixtureServer() {}

  @Override
  public void start() {
    server.start(effectiveSettings(), settings().requestedPort());
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
