package io.datis.pubsub.faults;

import io.datis.testkit.DatisPostgres;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;

/**
 * The fault-matrix workload: a table {@code (id int PRIMARY KEY, version int, payload text)} whose
 * rows are inserted at version 0 and then only ever changed by {@code version = version + 1}. So,
 * per key, commit order is version order, and the final table tells exactly which changes were
 * committed (versions 0 to the final one of each row), even when a write's outcome was unknown
 * because the database went away during its commit.
 */
final class Workload {

  private final DatisPostgres pg;
  private final String table;
  private final int keys;
  private final int payloadChars;

  private Workload(DatisPostgres pg, String table, int keys, int payloadChars) {
    this.pg = pg;
    this.table = table;
    this.keys = keys;
    this.payloadChars = payloadChars;
  }

  /** Creates the table {@code public.<name>}; {@link #insertKeys()} fills it. */
  static Workload create(DatisPostgres pg, String name, int keys, int payloadChars) {
    String table = "public." + name;
    pg.execute(
        "CREATE TABLE " + table + " (id int PRIMARY KEY, version int NOT NULL, payload text)");
    return new Workload(pg, table, keys, payloadChars);
  }

  /**
   * The workload's table {@code public.<name>} as another server holds it, such as a standby
   * promoted after the primary that {@link #create} made it on failed.
   */
  Workload on(DatisPostgres server) {
    return new Workload(server, table, keys, payloadChars);
  }

  /** The schema-qualified table name. */
  String table() {
    return table;
  }

  /**
   * Inserts every key at version 0 with one {@code COPY}: one transaction whose rows share LSNs
   * (COPY writes multi-insert WAL records), the case Debezium can skip after a restart.
   */
  void insertKeys() {
    StringBuilder rows = new StringBuilder();
    String payload = "c".repeat(payloadChars);
    for (int id = 1; id <= keys; id++) {
      rows.append(id).append("\t0\t").append(payload).append('\n');
    }
    try (Connection connection = pg.connect()) {
      connection
          .unwrap(PGConnection.class)
          .getCopyAPI()
          .copyIn("COPY " + table + " FROM STDIN", new StringReader(rows.toString()));
    } catch (SQLException | java.io.IOException e) {
      throw new IllegalStateException("COPY into " + table + " failed", e);
    }
  }

  /** Per key, the last committed version: versions 0 to it were each committed once. */
  Map<Integer, Integer> committedVersions() {
    Map<Integer, Integer> versions = new HashMap<>();
    for (int[] row :
        pg.query("SELECT id, version FROM " + table, r -> new int[] {r.getInt(1), r.getInt(2)})) {
      versions.put(row[0], row[1]);
    }
    return versions;
  }

  /** The number of changes committed so far: inserts plus updates. */
  static long changes(Map<Integer, Integer> committedVersions) {
    return committedVersions.values().stream().mapToLong(v -> v + 1L).sum();
  }

  /**
   * A writer of update transactions over contiguous ranges of random length (1 to {@code maxRows}
   * keys), sometimes changing the range's first key a second time in the same transaction, at about
   * {@code changesPerSecond}. It survives the database going away: a failed transaction is
   * abandoned (whether it committed is read from the table at the end) and the writer reconnects.
   */
  Writer writer(long seed, int maxRows, double changesPerSecond) {
    return new Writer(seed, maxRows, changesPerSecond);
  }

  /** Writes updates on its own thread; see {@link Workload#writer}. */
  final class Writer implements AutoCloseable {

    private final Random random;
    private final int maxRows;
    private final double changesPerSecond;
    private final AtomicLong committed = new AtomicLong();
    private final AtomicInteger failures = new AtomicInteger();
    private volatile boolean stopped;
    private volatile @Nullable Thread thread;
    private volatile @Nullable String lastFailure;

    private Writer(long seed, int maxRows, double changesPerSecond) {
      this.random = new Random(seed);
      this.maxRows = maxRows;
      this.changesPerSecond = changesPerSecond;
    }

    /**
     * Starts writing until {@code changes} changes have been committed (or {@link #close()});
     * exactly that many unless a transaction's outcome was unknown (the database went away during
     * its commit).
     */
    Writer start(long changes) {
      Thread writing = new Thread(() -> run(changes), "fault-workload-writer");
      writing.setDaemon(true);
      thread = writing;
      writing.start();
      return this;
    }

    private void run(long target) {
      long startNanos = System.nanoTime();
      int cursor = 1;
      Connection connection = null;
      while (!stopped && committed.get() < target) {
        long remaining = target - committed.get();
        int rows = (int) Math.min(1 + random.nextInt(maxRows), remaining);
        int from = cursor;
        int to = Math.min(keys, from + rows - 1);
        cursor = to == keys ? 1 : to + 1;
        boolean twice = random.nextInt(10) == 0 && to - from + 1 < remaining;
        try {
          if (connection == null) {
            connection = open();
          }
          int changed;
          try (Statement statement = connection.createStatement()) {
            changed = statement.executeUpdate(update("id BETWEEN " + from + " AND " + to));
            if (twice) {
              changed += statement.executeUpdate(update("id = " + from));
            }
          }
          connection.commit();
          committed.addAndGet(changed);
        } catch (SQLException e) {
          failures.incrementAndGet();
          lastFailure = e.getMessage();
          closeQuietly(connection);
          connection = null;
          sleep(100);
          continue;
        }
        long due = startNanos + (long) (committed.get() / changesPerSecond * 1e9);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          sleep(TimeUnit.NANOSECONDS.toMillis(wait));
        }
      }
      closeQuietly(connection);
    }

    private String update(String where) {
      return "UPDATE "
          + table
          + " SET version = version + 1, payload = left(repeat(md5(random()::text), "
          + (payloadChars / 32 + 1)
          + "), "
          + payloadChars
          + ") WHERE "
          + where;
    }

    private Connection open() throws SQLException {
      Properties properties = new Properties();
      properties.setProperty("user", pg.user());
      properties.setProperty("password", pg.password());
      properties.setProperty("connectTimeout", "5");
      properties.setProperty("socketTimeout", "30");
      Connection connection = DriverManager.getConnection(pg.jdbcUrl(), properties);
      connection.setAutoCommit(false);
      return connection;
    }

    /** Waits until the target is written; fails if that takes longer than {@code timeout}. */
    void awaitDone(Duration timeout) throws InterruptedException {
      Thread writing = thread;
      if (writing == null) {
        throw new IllegalStateException("the writer was not started");
      }
      writing.join(timeout.toMillis());
      if (writing.isAlive()) {
        throw new AssertionError(
            "The workload writer did not finish within "
                + timeout
                + ": "
                + committed.get()
                + " changes committed, "
                + failures.get()
                + " failed transactions, last failure: "
                + lastFailure);
      }
    }

    /** Changes whose commit was confirmed (a few more may have committed without confirmation). */
    long committed() {
      return committed.get();
    }

    /** Transactions that failed, for example while the database was down. */
    int failures() {
      return failures.get();
    }

    @Override
    public void close() throws InterruptedException {
      stopped = true;
      Thread writing = thread;
      if (writing != null) {
        writing.join(30_000);
      }
    }
  }

  private static void closeQuietly(@Nullable Connection connection) {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // broken already
      }
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
