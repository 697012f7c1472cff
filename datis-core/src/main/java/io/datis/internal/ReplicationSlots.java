package io.datis.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** Waiting for a replication slot to be released by its reader. */
final class ReplicationSlots {

  /**
   * How long a slot in use is given to become free: the reader of a pipeline that just stopped (for
   * example the previous instance of a restarting service) takes a moment to exit.
   */
  static final Duration RELEASE_WAIT = Duration.ofSeconds(5);

  private ReplicationSlots() {}

  /**
   * Waits up to {@link #RELEASE_WAIT} until nobody reads {@code slot}.
   *
   * @return the PID still reading it after the wait, or {@code null} once it is free (or does not
   *     exist)
   * @throws InterruptedException if interrupted while waiting
   */
  static @Nullable Integer awaitRelease(Connection connection, String slot)
      throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ? AND active")) {
      statement.setString(1, slot);
      while (true) {
        try (ResultSet row = statement.executeQuery()) {
          if (!row.next()) {
            return null;
          }
          if (System.nanoTime() > deadline) {
            return row.getInt(1);
          }
        }
        Thread.sleep(100);
      }
    }
  }

  /** The PID reading {@code slot} now, or {@code null} if nobody does (or it does not exist). */
  static @Nullable Integer activePid(Connection connection, String slot) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ? AND active")) {
      statement.setString(1, slot);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() ? row.getInt(1) : null;
      }
    }
  }

  /** Why a pipeline cannot read a slot that another process reads, and the fix. */
  static String inUse(String slot, int pid) {
    return "Replication slot '"
        + slot
        + "' is already active for another process (PID "
        + pid
        + "): another pipeline or client is reading from it. Stop that reader first, or give this"
        + " pipeline its own slot with the pipeline builder's slotName(...)";
  }
}
