package io.datis.bench;

import io.datis.testkit.DatisPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;

/** The embedded PostgreSQL of a benchmark, with its tables, publications and slots. */
final class BenchDatabase implements AutoCloseable {

  static final String DRAIN_TABLE = "public.bench_rows";
  static final String DRAIN_PUBLICATION = "bench_pub";
  static final String LATENCY_TABLE = "public.bench_latency";
  static final String LATENCY_PUBLICATION = "bench_latency_pub";

  private final DatisPostgres pg;

  private BenchDatabase(DatisPostgres pg) {
    this.pg = pg;
  }

  static BenchDatabase start() {
    DatisPostgres pg = DatisPostgres.embedded().withSetting("max_wal_size", "4GB").start();
    BenchDatabase database = new BenchDatabase(pg);
    pg.execute(
        "CREATE TABLE " + DRAIN_TABLE + " (id bigint PRIMARY KEY, payload text NOT NULL)",
        "CREATE PUBLICATION " + DRAIN_PUBLICATION + " FOR TABLE " + DRAIN_TABLE,
        "CREATE TABLE "
            + LATENCY_TABLE
            + " (id bigserial PRIMARY KEY, payload text NOT NULL,"
            + " created timestamptz NOT NULL DEFAULT clock_timestamp())",
        "CREATE PUBLICATION " + LATENCY_PUBLICATION + " FOR TABLE " + LATENCY_TABLE);
    return database;
  }

  DatisPostgres postgres() {
    return pg;
  }

  /** Drops every benchmark slot not in use (earlier runs' slots keep WAL otherwise). */
  void dropSlots() {
    pg.query(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            + " WHERE slot_name LIKE 'bench%' AND NOT active",
        row -> row.getString(1));
  }

  void dropSlot(String slot) {
    pg.query(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            + " WHERE slot_name = '"
            + slot
            + "' AND NOT active",
        row -> row.getString(1));
  }

  /**
   * Empties the drain table, creates the slots (so that each one reads exactly the WAL written
   * next), then loads {@code rows} rows of about {@code rowBytes} payload bytes in transactions of
   * {@code txSize} rows, and checkpoints.
   *
   * @return the WAL position after the load
   */
  String prepareDrain(Collection<String> slots, int rows, int rowBytes, int txSize) {
    dropSlots();
    pg.execute("TRUNCATE " + DRAIN_TABLE);
    for (String slot : slots) {
      pg.query(
          "SELECT lsn FROM pg_create_logical_replication_slot('" + slot + "', 'pgoutput')",
          row -> row.getString(1));
    }
    long started = System.nanoTime();
    String insert =
        "INSERT INTO "
            + DRAIN_TABLE
            + " SELECT g, rpad(md5(g::text), ?, md5((g * 7)::text)) FROM generate_series(?, ?) g";
    try (Connection connection = pg.connect();
        PreparedStatement statement = connection.prepareStatement(insert)) {
      for (long first = 1; first <= rows; first += txSize) {
        statement.setInt(1, rowBytes);
        statement.setLong(2, first);
        statement.setLong(3, Math.min(rows, first + txSize - 1));
        statement.executeUpdate();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Loading the rows failed: " + e.getMessage(), e);
    }
    pg.execute("CHECKPOINT");
    String lsn = pg.query("SELECT pg_current_wal_lsn()::text", row -> row.getString(1)).get(0);
    System.err.printf(
        "Loaded %,d rows of %d payload bytes in transactions of %,d rows in %.1f s (WAL at %s)%n",
        rows, rowBytes, txSize, (System.nanoTime() - started) / 1e9, lsn);
    return lsn;
  }

  @Override
  public void close() {
    pg.close();
  }
}
