package io.datis.testkit.internal;

import io.datis.testkit.DatisPostgres;
import io.datis.testkit.DatisPostgres.FixtureException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Creates and drops the database of one test, for {@code DatisPostgres.withDatabasePerTest()}: each
 * gets a name of its own in this JVM, and is created and dropped from the fixture's own database.
 * Dropping clears up whatever a test may leave in it: open sessions, replication connections of
 * pipelines not closed, and replication slots (which PostgreSQL keeps across sessions and which
 * block {@code DROP DATABASE}).
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class TestDatabases {

  private static final Duration SLOT_RELEASE_TIMEOUT = Duration.ofSeconds(10);

  private static final AtomicInteger CREATED = new AtomicInteger();

  private TestDatabases() {}

  /**
   * Creates a database for the test {@code testName} on the server of {@code pg}, which must not
   * use a test database itself, and returns its name.
   *
   * @throws FixtureException if the database cannot be created
   */
  public static String createFor(DatisPostgres pg, String testName) {
    String name = "datis_test_" + ProcessHandle.current().pid() + "_" + CREATED.incrementAndGet();
    try (Connection connection = pg.connect()) {
      create(connection, name);
    } catch (SQLException e) {
      throw new FixtureException(
          "withDatabasePerTest() could not create a database for "
              + testName
              + ": "
              + e.getMessage()
              + "\nThe user '"
              + pg.user()
              + "' needs the CREATEDB privilege (ALTER ROLE "
              + pg.user()
              + " CREATEDB).",
          e);
    }
    return name;
  }

  /**
   * Drops a test's database from the server of {@code pg}, which must not use a test database
   * itself.
   *
   * @throws FixtureException if the database cannot be dropped
   */
  public static void dropAfterTest(DatisPostgres pg, String database) {
    try (Connection connection = pg.connect()) {
      drop(connection, database);
    } catch (SQLException e) {
      throw new FixtureException(
          "Could not drop the test database " + database + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates {@code database}, connected to another database of the same server. From PostgreSQL 15
   * on, copying the template's files is several times faster than the default, WAL-logged copy.
   */
  private static void create(Connection connection, String database) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      boolean fileCopy = connection.getMetaData().getDatabaseMajorVersion() >= 15;
      statement.execute("CREATE DATABASE " + database + (fileCopy ? " STRATEGY FILE_COPY" : ""));
    }
  }

  /** Drops {@code database}, connected to another database of the same server. */
  private static void drop(Connection connection, String database) throws SQLException {
    terminateSessions(connection, database);
    dropSlots(connection, database);
    try (Statement statement = connection.createStatement()) {
      statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }

  private static void terminateSessions(Connection connection, String database)
      throws SQLException {
    try (PreparedStatement terminate =
        connection.prepareStatement(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE datname = ? AND pid <> pg_backend_pid()")) {
      terminate.setString(1, database);
      terminate.executeQuery().close();
    }
  }

  /** A terminated walsender releases its slot a moment later, so dropping is retried. */
  private static void dropSlots(Connection connection, String database) throws SQLException {
    long deadline = System.nanoTime() + SLOT_RELEASE_TIMEOUT.toNanos();
    while (true) {
      try (PreparedStatement drop =
          connection.prepareStatement(
              "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                  + " WHERE database = ?")) {
        drop.setString(1, database);
        try (ResultSet ignored = drop.executeQuery()) {
          return;
        }
      } catch (SQLException e) {
        boolean slotStillActive = "55006".equals(e.getSQLState());
        if (!slotStillActive || System.nanoTime() > deadline) {
          throw e;
        }
        terminateSessions(connection, database);
        sleep();
      }
    }
  }

  private static void sleep() throws SQLException {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for a replication slot to be released", e);
    }
  }
}
