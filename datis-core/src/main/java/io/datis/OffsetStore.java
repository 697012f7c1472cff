package io.datis;

import io.datis.api.event.TableId;
import io.datis.postgres.PostgresSource;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where a pipeline keeps its offsets: how far it has delivered, so that a restarted pipeline
 * resumes there. Offsets only ever cover events the sink has acknowledged.
 *
 * <pre>{@code
 * Datis.capture(pg).offsets(OffsetStore.file(Path.of("/var/lib/myservice/orders.offsets")))
 * Datis.capture(pg).offsets(OffsetStore.postgres())   // a table in the captured database
 * }</pre>
 */
public final class OffsetStore {

  /** The table {@link #postgres()} uses. */
  public static final String DEFAULT_TABLE = "public.datis_offsets";

  private final @Nullable Path file;
  private final @Nullable TableId table;
  private final @Nullable PostgresSource database;

  private OffsetStore(
      @Nullable Path file, @Nullable TableId table, @Nullable PostgresSource database) {
    this.file = file;
    this.table = table;
    this.database = database;
  }

  /**
   * Offsets in a local file, written after each commit. The parent directory is created if needed.
   * Survives restarts of the process, as long as the file does. Each write goes to a temporary file
   * that is flushed to disk and renamed over the file, the file it replaces kept as {@code
   * <file>.previous}: a crash never leaves it cut off. A damaged file is read from its previous
   * copy (with a warning; the last commit's changes are delivered again), or, without one, fails
   * the start saying so: it is never taken for "no offsets". To start a pipeline afresh, delete the
   * file and its {@code .previous} and {@code .slot} files.
   */
  public static OffsetStore file(Path file) {
    Objects.requireNonNull(file, "file");
    if (file.getFileName() == null) {
      throw new IllegalArgumentException(
          "The offset file needs a file name, not a root directory: " + file);
    }
    return new OffsetStore(file, null, null);
  }

  /**
   * Offsets in memory only, lost when the pipeline stops: a new pipeline starts from the
   * replication slot's position and, with {@link SnapshotMode#INITIAL}, snapshots again. For tests
   * and demos.
   */
  public static OffsetStore inMemory() {
    return new OffsetStore(null, null, null);
  }

  /**
   * Offsets in the table {@value #DEFAULT_TABLE} of the captured database, for containers without a
   * persistent disk. The table is created if missing (the user needs the CREATE privilege on the
   * schema, or create it beforehand: see {@link #postgres(String)}); each commit writes in one
   * transaction.
   */
  public static OffsetStore postgres() {
    return postgres(DEFAULT_TABLE);
  }

  /** Offsets in the given table ({@code schema.table}) of the captured database. */
  public static OffsetStore postgres(String table) {
    return new OffsetStore(null, TableId.parse(Objects.requireNonNull(table, "table")), null);
  }

  /** Offsets in the given table ({@code schema.table}) of another PostgreSQL database. */
  public static OffsetStore postgres(PostgresSource database, String table) {
    Objects.requireNonNull(database, "database");
    return new OffsetStore(null, TableId.parse(Objects.requireNonNull(table, "table")), database);
  }

  /** The offsets file, for a file store. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  /** The offsets table, for a PostgreSQL store. */
  public Optional<TableId> table() {
    return Optional.ofNullable(table);
  }

  /**
   * The database holding the offsets table, when it is not the captured one; empty for the captured
   * database (and for other stores).
   */
  public Optional<PostgresSource> database() {
    return Optional.ofNullable(database);
  }

  @Override
  public String toString() {
    if (file != null) {
      return "OffsetStore.file(" + file + ")";
    }
    if (table != null) {
      return "OffsetStore.postgres("
          + (database == null ? "" : database.jdbcUrl() + ", ")
          + table
          + ")";
    }
    return "OffsetStore.inMemory()";
  }
}
