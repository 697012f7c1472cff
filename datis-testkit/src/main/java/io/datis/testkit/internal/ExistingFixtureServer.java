package io.datis.testkit.internal;

import io.datis.postgres.PostgresSource;
import io.datis.postgres.internal.SourcePasswords;
import io.datis.testkit.DatisPostgres.FixtureException;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * A server that someone else runs, behind a {@code DatisPostgres}: starting it only checks that it
 * accepts connections, closing it only forgets that, and it can be neither stopped nor configured.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class ExistingFixtureServer extends FixtureServer {

  /** Environment variable read by {@code DatisPostgres.automatic()}: the JDBC URL of a server. */
  public static final String URL_VARIABLE = "DATIS_POSTGRES_URL";

  /** Environment variable read by {@code DatisPostgres.automatic()}: the user. */
  public static final String USER_VARIABLE = "DATIS_POSTGRES_USER";

  /** Environment variable read by {@code DatisPostgres.automatic()}: the password. */
  public static final String PASSWORD_VARIABLE = "DATIS_POSTGRES_PASSWORD";

  private final PostgresSource source;
  private final String jdbcUrl;
  private volatile boolean started;

  /** The server that {@code source} describes, whose URL was given as {@code jdbcUrl}. */
  public ExistingFixtureServer(PostgresSource source, String jdbcUrl) {
    this.source = source;
    this.jdbcUrl = jdbcUrl;
  }

  @Override
  public void start() {
    if (started) {
      return;
    }
    try {
      Connections.open(jdbcUrl, source.user(), SourcePasswords.of(source)).close();
      started = true;
    } catch (SQLException e) {
      throw new FixtureException(
          "Cannot connect to the existing PostgreSQL at "
              + jdbcUrl
              + " as '"
              + source.user()
              + "': "
              + e.getMessage()
              + ". Check that the server runs and that "
              + URL_VARIABLE
              + ", "
              + USER_VARIABLE
              + " and "
              + PASSWORD_VARIABLE
              + " (or the arguments of existing(...)) are right.",
          e);
    }
  }

  @Override
  public void stop(String call) {
    throw new UnsupportedOperationException(
        call
            + " needs an embedded server; DatisPostgres.existing(...) does not control the server"
            + " at "
            + jdbcUrl);
  }

  @Override
  public boolean isRunning() {
    return started;
  }

  @Override
  public void close() {
    started = false;
  }

  @Override
  public void checkTakesSettings(String name) {
    throw new IllegalStateException(
        "withSetting(\""
            + name
            + "\", ...) applies to embedded and container servers only; the existing server at "
            + jdbcUrl
            + " is configured by whoever runs it");
  }

  @Override
  public PostgresSource source(String call, NotStarted notStarted) {
    return source;
  }

  /** The URL as given, with its parameters. */
  @Override
  public String jdbcUrl(NotStarted notStarted) {
    return jdbcUrl;
  }

  @Override
  public String describe(@Nullable String testDatabase) {
    return describe("existing " + jdbcUrl, testDatabase, source.user());
  }
}
