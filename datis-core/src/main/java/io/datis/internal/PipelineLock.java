package io.datis.internal;

import io.datis.postgres.PostgresSource;
import io.datis.postgres.internal.SourcePasswords;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * What makes one instance of a pipeline the active one among the replicas of a service: a
 * session-level PostgreSQL advisory lock in the captured database, keyed by the replication slot's
 * name and held on a connection of its own. PostgreSQL releases it when that connection ends, so a
 * crashed or killed holder frees it as soon as the server sees its connection close; a holder that
 * vanishes without closing it (a network partition) is dropped by the server's TCP keepalives set
 * here, within about {@link #SERVER_RELEASE_SECONDS} seconds.
 *
 * <p>The key is the pair ({@link #KEY_SPACE}, the slot name's {@link String#hashCode()}): two
 * pipelines of one database whose slot names hash alike would take turns instead of running side by
 * side, which is why {@code start()} names the holder when it waits.
 */
final class PipelineLock implements AutoCloseable {

  /** The first half of every Datis lock key: "DATI" in ASCII. */
  static final int KEY_SPACE = 0x44415449;

  /**
   * How long a lock connection may go silent before the server drops it and the lock with it:
   * keepalive idle 5 s, then 2 probes 2 s apart.
   */
  static final int SERVER_RELEASE_SECONDS = 9;

  /** How long a check of the lock may block on the network before it counts as failed. */
  private static final int SOCKET_TIMEOUT_SECONDS = 2;

  /** Pipeline locks this process holds, for spreading active pipelines over the replicas. */
  private static final AtomicInteger HELD_HERE = new AtomicInteger();

  private final PostgresSource source;
  private final String pipeline;
  private final String slot;
  private final int key;
  private @Nullable Connection connection;
  private boolean held;

  PipelineLock(PostgresSource source, String pipeline, String slot) {
    this.source = source;
    this.pipeline = pipeline;
    this.slot = slot;
    this.key = slot.hashCode();
  }

  /**
   * Takes the lock if nobody holds it; {@code true} if this instance holds it now.
   *
   * @throws SQLException if the database cannot be reached
   */
  synchronized boolean tryAcquire() throws SQLException {
    Connection open = connection;
    if (open == null) {
      open = connect();
      connection = open;
    }
    try (PreparedStatement statement = open.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
      statement.setInt(1, KEY_SPACE);
      statement.setInt(2, key);
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        if (row.getBoolean(1) && !held) {
          held = true;
          HELD_HERE.incrementAndGet();
        }
        return held;
      }
    } catch (SQLException e) {
      release();
      throw e;
    }
  }

  /** How many pipeline locks this process (JVM) holds. */
  static int heldInThisProcess() {
    return HELD_HERE.get();
  }

  /**
   * Whether this instance still holds the lock, asked of the server on the lock's own connection.
   *
   * @throws SQLException if the server cannot be asked (within the socket timeout)
   */
  synchronized boolean isHeld() throws SQLException {
    Connection open = connection;
    if (open == null) {
      return false;
    }
    try (PreparedStatement statement =
        open.prepareStatement(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'"
                + " AND granted AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 2")) {
      statement.setLong(1, Integer.toUnsignedLong(KEY_SPACE));
      statement.setLong(2, Integer.toUnsignedLong(key));
      try (ResultSet row = statement.executeQuery()) {
        row.next();
        return row.getLong(1) > 0;
      }
    }
  }

  /**
   * Who holds the lock, as PostgreSQL knows the session (its application name names the pipeline,
   * host and process), or {@code null} if nobody does or it cannot be told.
   */
  @Nullable String holder(Connection any) {
    try (PreparedStatement statement =
        any.prepareStatement(
            "SELECT a.application_name, a.pid, coalesce(host(a.client_addr), 'local socket'),"
                + " a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = ?"
                + " AND l.objid::bigint = ? AND l.objsubid = 2"
                + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
      statement.setLong(1, Integer.toUnsignedLong(KEY_SPACE));
      statement.setLong(2, Integer.toUnsignedLong(key));
      try (ResultSet row = statement.executeQuery()) {
        if (!row.next()) {
          return null;
        }
        return "'"
            + row.getString(1)
            + "' (PostgreSQL PID "
            + row.getInt(2)
            + ", from "
            + row.getString(3)
            + ")";
      }
    } catch (SQLException e) {
      return null;
    }
  }

  /** Who holds the lock, asked on the lock's own connection; see {@link #holder(Connection)}. */
  synchronized @Nullable String holder() {
    Connection open = connection;
    return open == null ? null : holder(open);
  }

  /** Ends the lock's connection, which releases the lock if this instance held it. */
  synchronized void release() {
    Connection open = connection;
    connection = null;
    if (held) {
      held = false;
      HELD_HERE.decrementAndGet();
    }
    if (open != null) {
      try {
        open.close();
      } catch (SQLException e) {
        // the connection is gone either way, and the lock with it
      }
    }
  }

  @Override
  public void close() {
    release();
  }

  String slot() {
    return slot;
  }

  private Connection connect() throws SQLException {
    Properties properties = new Properties();
    properties.putAll(source.connectionProperties());
    properties.setProperty("user", source.user());
    properties.setProperty("password", SourcePasswords.of(source));
    properties.setProperty("ApplicationName", applicationName(pipeline));
    properties.setProperty("socketTimeout", Integer.toString(SOCKET_TIMEOUT_SECONDS));
    properties.setProperty("tcpKeepAlive", "true");
    Connection opened = DriverManager.getConnection(source.jdbcUrl(), properties);
    try (Statement statement = opened.createStatement()) {
      // the server drops the session, and the lock, when this instance goes silent
      statement.execute(
          "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2;"
              + " SET tcp_keepalives_count = 2");
    } catch (SQLException e) {
      opened.close();
      throw e;
    }
    return opened;
  }

  /**
   * {@code datis-<pipeline> lock <host>:<pid>}, which pg_stat_activity shows and {@code start()}
   * reports of the holder; PostgreSQL keeps its first 63 bytes.
   */
  static String applicationName(String pipeline) {
    return "datis-" + pipeline + " lock " + instance();
  }

  /** This process: its host name and process id. */
  static String instance() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        host = "unknown-host";
      }
    }
    return host + ":" + ProcessHandle.current().pid();
  }
}
