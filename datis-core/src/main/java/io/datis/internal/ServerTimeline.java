package io.datis.internal;

import io.datis.api.event.Position;
import io.datis.postgres.PostgresSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The server's WAL timeline and the timelines it descends from, each with the LSN where it ended. A
 * standby promoted to primary starts a new timeline where its copy of the old primary's WAL ended;
 * what the old primary wrote past that point is not in the new primary's history, and the new
 * primary writes other changes at those positions. Read with the replication protocol's {@code
 * IDENTIFY_SYSTEM} and {@code TIMELINE_HISTORY}, which need no privilege beyond {@code
 * REPLICATION}.
 *
 * @param id the server's current timeline
 * @param endOf for each earlier timeline in the server's history, the LSN where it ended
 */
record ServerTimeline(int id, Map<Integer, Long> endOf) {

  ServerTimeline {
    endOf = Map.copyOf(endOf);
  }

  /** What the server at {@code source} says, over a short replication connection. */
  static ServerTimeline read(PostgresSource source, String pipeline) throws SQLException {
    try (Connection connection = SourceConnections.openReplication(source, pipeline);
        Statement statement = connection.createStatement()) {
      int id;
      try (ResultSet system = statement.executeQuery("IDENTIFY_SYSTEM")) {
        system.next();
        id = Integer.parseInt(system.getString("timeline"));
      }
      if (id == 1) {
        return new ServerTimeline(1, Map.of());
      }
      try (ResultSet history = statement.executeQuery("TIMELINE_HISTORY " + id)) {
        history.next();
        return new ServerTimeline(
            id, parseHistory(new String(history.getBytes("content"), StandardCharsets.UTF_8)));
      }
    }
  }

  /**
   * Parses a timeline history file: one line per ancestor, {@code <timeline> <LSN where it ended>
   * <reason>} separated by tabs, and comment lines starting with {@code #}.
   */
  static Map<Integer, Long> parseHistory(String content) {
    Map<Integer, Long> ends = new HashMap<>();
    for (String line : content.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String[] fields = trimmed.split("\\s+", 3);
      ends.put(Integer.parseInt(fields[0]), Position.parseLsn(fields[1]));
    }
    return ends;
  }

  /**
   * Where {@code timeline} ended in this server's history; empty if it is the current one.
   *
   * @throws IllegalArgumentException if it is neither the current timeline nor an ancestor
   */
  OptionalLong endOf(int timeline) {
    if (timeline == id) {
      return OptionalLong.empty();
    }
    Long end = endOf.get(timeline);
    if (end == null) {
      throw new IllegalArgumentException(
          "timeline " + timeline + " is not in the history of timeline " + id);
    }
    return OptionalLong.of(end);
  }

  /** Whether {@code timeline} is the current one or one it descends from. */
  boolean contains(int timeline) {
    return timeline == id || endOf.containsKey(timeline);
  }
}
