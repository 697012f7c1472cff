package io.datis.internal;

import io.datis.OffsetStore;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.postgres.PostgresSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * Where the replication slot stood when the pipeline last stopped cleanly, kept next to its
 * offsets. A stopped pipeline's slot does not move; if it stands elsewhere at the next start, it
 * was dropped and recreated, or another client read from it, and the changes in between are lost to
 * this pipeline. While the pipeline runs (or after a crash) the marker says so, and nothing is
 * checked; it then also names the replication connection reading the slot for the running instance
 * ({@link Reader}), so that the next active instance can tell that connection from a foreign one
 * when it is left behind (the process paused or cut off until {@code wal_sender_timeout}). Both
 * forms end with the server's WAL timeline, when known, so that the next start can tell a failover
 * to a promoted standby happened since ({@link ServerTimeline}).
 *
 * <p>A file store keeps the marker in {@code <offsets file>.slot}; a PostgreSQL store in its table,
 * under the pipeline name followed by {@code #slot} (which the offset store itself never reads).
 */
final class SlotMarker {

  private static final String RUNNING = "running";
  private static final String TIMELINE = " timeline=";
  private static final byte[] KEY = "slot".getBytes(StandardCharsets.UTF_8);

  /**
   * A replication connection that read the slot for a running instance: its backend's PID and start
   * time (which tells it from a later backend given the same PID).
   */
  record Reader(int pid, String backendStart) {}

  private final OffsetStore store;
  private final PostgresSource source;
  private final String pipeline;

  /** Tells this pipeline instance's marks from another's, as when a new instance takes over. */
  private final String instance = java.util.UUID.randomUUID().toString();

  /** The server's timeline this instance reads on, written with each mark; 0 while unknown. */
  private volatile int timeline;

  SlotMarker(OffsetStore store, PostgresSource source, String pipeline) {
    this.store = store;
    this.source = source;
    this.pipeline = pipeline;
  }

  /**
   * The slot's confirmed LSN at the last clean stop; empty if unknown (never stopped cleanly,
   * running, crashed).
   */
  OptionalLong stoppedAt() throws IOException, SQLException {
    String value = read();
    if (value == null || value.startsWith(RUNNING)) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Position.parseLsn(withoutTimeline(value)));
  }

  /**
   * The server's timeline at the last mark (the last clean stop, or the running instance's start);
   * empty if it was not recorded (no mark, or one written before Datis recorded timelines).
   */
  OptionalInt recordedTimeline() throws IOException, SQLException {
    String value = read();
    if (value == null) {
      return OptionalInt.empty();
    }
    int at = value.lastIndexOf(TIMELINE);
    if (at < 0) {
      return OptionalInt.empty();
    }
    try {
      return OptionalInt.of(Integer.parseInt(value.substring(at + TIMELINE.length())));
    } catch (NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  /** The server's timeline, written with the marks from now on. */
  void onTimeline(int timeline) {
    this.timeline = timeline;
  }

  /** Marks the pipeline running: a crash leaves it so, and the next start checks nothing. */
  void running() throws IOException, SQLException {
    write(RUNNING + " " + instance);
  }

  /** Records the replication connection reading the slot for this running instance. */
  void readBy(Reader reader) throws IOException, SQLException {
    write(RUNNING + " " + instance + " " + reader.pid() + " " + reader.backendStart());
  }

  /**
   * The replication connection last recorded reading the slot for a running instance (this one or
   * an earlier one that did not stop cleanly); {@code null} if none was recorded.
   */
  @Nullable Reader lastReader() throws IOException, SQLException {
    String value = read();
    if (value == null || !value.startsWith(RUNNING)) {
      return null;
    }
    String[] parts = withoutTimeline(value).split(" ", 4);
    if (parts.length < 4) {
      return null;
    }
    try {
      return new Reader(Integer.parseInt(parts[2]), parts[3]);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Tells this marker's instance from others in {@link #markedRunningBy}. */
  String instance() {
    return instance;
  }

  /** Whether the marker says that this instance runs the pipeline. */
  private boolean runningHere() throws IOException, SQLException {
    return markedRunningBy(instance);
  }

  /**
   * Whether the last mark is that of {@code instance} running the pipeline: no instance started
   * since, nor stopped cleanly.
   */
  boolean markedRunningBy(String instance) throws IOException, SQLException {
    String value = read();
    if (value == null) {
      return false;
    }
    String[] parts = withoutTimeline(value).split(" ", 3);
    return parts.length >= 2 && parts[0].equals(RUNNING) && parts[1].equals(instance);
  }

  /**
   * Marks a clean stop with where the slot stands, once the stopped engine has let go of it (up to
   * 5 s); leaves the marker as it is if the slot stays in use or is gone.
   *
   * @return whether the stop was recorded
   */
  boolean recordStop(String slot) throws IOException, SQLException, InterruptedException {
    if (store.file().isEmpty() && store.table().isEmpty()) {
      return false;
    }
    try (Connection connection = SourceConnections.open(source, pipeline);
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ? AND NOT active")) {
      if (ReplicationSlots.awaitRelease(connection, slot) != null) {
        return false;
      }
      select.setString(1, slot);
      try (ResultSet row = select.executeQuery()) {
        if (!row.next() || row.getString(1) == null) {
          return false;
        }
        if (!runningHere()) {
          return false; // another instance runs the pipeline now: its stop will record
        }
        write(row.getString(1));
        return true;
      }
    }
  }

  /** Forgets the marker, with the offsets. */
  void clear() throws IOException, SQLException {
    Path file = file();
    if (file != null) {
      Files.deleteIfExists(file);
      return;
    }
    TableId table = store.table().orElse(null);
    if (table == null) {
      return;
    }
    try (Connection connection = connect()) {
      PostgresOffsetBackingStore.deletePipeline(
          connection, SqlIdentifiers.quote(table), markerPipeline());
    }
  }

  private @Nullable String read() throws IOException, SQLException {
    Path file = file();
    if (file != null) {
      return Files.isRegularFile(file)
          ? Files.readString(file, StandardCharsets.UTF_8).strip()
          : null;
    }
    TableId table = store.table().orElse(null);
    if (table == null) {
      return null;
    }
    try (Connection connection = connect();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT offset_value FROM "
                    + SqlIdentifiers.quote(table)
                    + " WHERE pipeline = ? AND offset_key = ?")) {
      select.setString(1, markerPipeline());
      select.setBytes(2, KEY);
      try (ResultSet row = select.executeQuery()) {
        return row.next() ? new String(row.getBytes(1), StandardCharsets.UTF_8) : null;
      }
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return null; // no offsets table yet
      }
      throw e;
    }
  }

  private static String withoutTimeline(String value) {
    int at = value.lastIndexOf(TIMELINE);
    return at < 0 ? value : value.substring(0, at);
  }

  private void write(String mark) throws IOException, SQLException {
    int known = timeline;
    String value = known == 0 ? mark : mark + TIMELINE + known;
    Path file = file();
    if (file != null) {
      OffsetFile.writeAtomically(file, value + "\n");
      return;
    }
    TableId table = store.table().orElse(null);
    if (table == null) {
      return;
    }
    try (Connection connection = connect()) {
      try (PreparedStatement create =
          connection.prepareStatement(
              PostgresOffsetBackingStore.createTableStatement(SqlIdentifiers.quote(table)))) {
        create.execute();
      }
      try (PreparedStatement upsert =
          connection.prepareStatement(
              PostgresOffsetBackingStore.upsertStatement(SqlIdentifiers.quote(table)))) {
        upsert.setString(1, markerPipeline());
        upsert.setBytes(2, KEY);
        upsert.setBytes(3, value.getBytes(StandardCharsets.UTF_8));
        upsert.executeUpdate();
      }
    }
  }

  private @Nullable Path file() {
    return store.file().map(offsets -> OffsetFile.sibling(offsets, ".slot")).orElse(null);
  }

  private String markerPipeline() {
    return pipeline + "#slot";
  }

  private Connection connect() throws SQLException {
    return SourceConnections.open(store.database().orElse(source), pipeline);
  }
}
