package io.datis.testkit.internal;

import io.datis.postgres.PostgresSource;
import io.datis.postgres.internal.SourcePasswords;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL server behind a {@code DatisPostgres}: an {@linkplain EmbeddedFixtureServer
 * embedded} one, one {@linkplain ContainerFixtureServer in a container}, or an {@linkplain
 * ExistingFixtureServer existing} one that the fixture only connects to. Each kind starts, stops
 * and describes itself and knows where its own database is; {@code DatisPostgres} adds the per-test
 * databases, the SQL helpers and the JUnit callbacks, and guards the lifecycle methods with its
 * lock.
 *
 * <p>What a kind cannot know before its server starts, it asks for with a {@link NotStarted}, which
 * makes {@code DatisPostgres}'s exception naming the call.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public abstract class FixtureServer {

  private final ServerSettings settings = new ServerSettings();

  FixtureServer() {}

  /** Starts the server and waits until it accepts connections; does nothing if it runs. */
  public abstract void start();

  /**
   * Stops the server, keeping its data and port.
   *
   * @throws UnsupportedOperationException naming {@code call}, if this kind cannot be stopped
   */
  public abstract void stop(String call);

  /** Whether the server runs. */
  public abstract boolean isRunning();

  /** Stops the server and deletes what the fixture created for it. Idempotent. */
  public abstract void close();

  /**
   * Checks that this kind takes server settings.
   *
   * @throws IllegalStateException if it does not
   */
  public void checkTakesSettings(String name) {}

  /**
   * Adds a setting, by its {@linkplain ServerSettings#key key}, for the next start.
   *
   * @throws IllegalArgumentException if the port is not a port
   * @throws IllegalStateException if this kind does not take this setting
   */
  public void addSetting(String key, String value) {
    settings.put(key, value);
  }

  /** The settings the server starts with. */
  public Map<String, String> effectiveSettings() {
    return settings.effective();
  }

  final ServerSettings settings() {
    return settings;
  }

  /**
   * The source for the server's own database.
   *
   * @throws IllegalStateException from {@code notStarted}, for {@code call}, if the server's
   *     address is not known before it starts
   */
  public abstract PostgresSource source(String call, NotStarted notStarted);

  /** The JDBC URL of the server's own database. */
  public String jdbcUrl(NotStarted notStarted) {
    return source("source()", notStarted).jdbcUrl();
  }

  /** The host. */
  public String host(NotStarted notStarted) {
    return source("host()", notStarted).host();
  }

  /** The port. */
  public int port(NotStarted notStarted) {
    return source("port()", notStarted).port();
  }

  /** The server's own database. */
  public String database(NotStarted notStarted) {
    return source("database()", notStarted).database();
  }

  /** The user the fixture logs in as. */
  public String user(NotStarted notStarted) {
    return source("user()", notStarted).user();
  }

  /** The password of that user. */
  public String password(NotStarted notStarted) {
    return SourcePasswords.of(source("password()", notStarted));
  }

  /**
   * Describes the server, without its password, such as {@code embedded 127.0.0.1:5432,
   * database=datis_test_1_2, user=postgres}.
   *
   * @param testDatabase the database of the current test, if any
   */
  public abstract String describe(@Nullable String testDatabase);

  static String describe(String where, @Nullable String testDatabase, @Nullable String user) {
    return where
        + (testDatabase == null ? "" : ", database=" + testDatabase)
        + (user == null ? "" : ", user=" + user);
  }

  /** Makes {@code DatisPostgres}'s exception for a call that needs a running server. */
  @FunctionalInterface
  public interface NotStarted {

    /** The exception for {@code call}, such as {@code port()}. */
    IllegalStateException exception(String call);
  }
}
