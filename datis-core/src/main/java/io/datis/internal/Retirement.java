package io.datis.internal;

import io.datis.OffsetStore;
import io.datis.api.SourceException;
import io.datis.postgres.PostgresSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what a pipeline leaves in PostgreSQL when it is retired for good: its replication slot
 * (which otherwise keeps WAL forever), its publication, its signal table and its stored offsets.
 */
public final class Retirement {

  private static final Logger log = LoggerFactory.getLogger(Retirement.class);

  private Retirement() {}

  /** Drops the slot and publication of {@code pipeline} and forgets its offsets; idempotent. */
  public static void retire(
      PostgresSource source,
      String pipeline,
      String slot,
      String publication,
      OffsetStore offsets) {
    try (Connection connection = SourceConnections.open(source, pipeline)) {
      dropSlot(connection, slot, pipeline);
      try (Statement statement = connection.createStatement()) {
        statement.execute("DROP PUBLICATION IF EXISTS " + SqlIdentifiers.quote(publication));
      }
      SignalTable signals = SignalTable.of(slot);
      signals.drop(connection);
      new StoredOffsets(offsets, source, pipeline).clear();
      log.info(
          "Pipeline '{}' retired: dropped replication slot '{}', publication '{}' and signal table {}, forgot the"
              + " offsets in {}",
          pipeline,
          slot,
          publication,
          signals.table(),
          offsets);
    } catch (SQLException e) {
      throw new SourceException(
          "Cannot retire pipeline '"
              + pipeline
              + "' on "
              + source.host()
              + ":"
              + source.port()
              + "/"
              + source.database()
              + ": "
              + e.getMessage()
              + ". The user needs the REPLICATION privilege and to own the publication",
          e);
    }
  }

  private static void dropSlot(Connection connection, String slot, String pipeline)
      throws SQLException {
    Integer activePid;
    try {
      activePid = ReplicationSlots.awaitRelease(connection, slot);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceException("Interrupted while retiring pipeline '" + pipeline + "'", e);
    }
    if (activePid != null) {
      throw new SourceException(
          "Cannot retire pipeline '"
              + pipeline
              + "': its replication slot '"
              + slot
              + "' is in use by PID "
              + activePid
              + ". Close the pipeline (in every process running it) first",
          null);
    }
    try (PreparedStatement drop =
        connection.prepareStatement(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
      drop.setString(1, slot);
      drop.execute();
    }
  }
}
