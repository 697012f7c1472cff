package io.datis.pubsub.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.Position;
import io.datis.testkit.DatisPostgres;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The hot-key workload (three tables, 500 rows updated round after round) and its checks. */
final class HotKeys {

  private static final ObjectMapper JSON = new ObjectMapper();

  private HotKeys() {}

  /** Creates tables {prefix}_a, _b, _c; {@link #write} fills them with 500 keys between them. */
  static List<String> createTables(DatisPostgres pg, String prefix) {
    List<String> tables =
        List.of("public." + prefix + "_a", "public." + prefix + "_b", "public." + prefix + "_c");
    for (String table : tables) {
      pg.execute(
          "CREATE TABLE " + table + " (id int PRIMARY KEY, version int NOT NULL, payload text)");
    }
    return tables;
  }

  /**
   * 500 inserts, then {@code rounds} transactions per table updating every row: 500 × (rounds + 1)
   * changes.
   */
  static void write(DatisPostgres pg, List<String> tables, int rounds) {
    pg.execute(
        "INSERT INTO "
            + tables.get(0)
            + " SELECT g, 0, md5(g::text) FROM generate_series(1, 167) g",
        "INSERT INTO "
            + tables.get(1)
            + " SELECT g, 0, md5(g::text) FROM generate_series(1, 167) g",
        "INSERT INTO "
            + tables.get(2)
            + " SELECT g, 0, md5(g::text) FROM generate_series(1, 166) g");
    for (int round = 1; round <= rounds; round++) {
      for (String table : tables) {
        pg.execute("UPDATE " + table + " SET version = " + round);
      }
    }
  }

  /** Every one of the 500 rows arrived with every version 0..rounds, each at least once. */
  static void assertEveryVersionArrived(List<PubsubMessage> received, int rounds)
      throws IOException {
    Map<String, Set<Integer>> versions = new HashMap<>();
    for (PubsubMessage message : received) {
      JsonNode envelope = JSON.readTree(message.getData().toByteArray());
      versions
          .computeIfAbsent(message.getOrderingKey(), k -> new HashSet<>())
          .add(envelope.get("after").get("version").asInt());
    }
    assertThat(versions).hasSize(500);
    assertThat(versions.values()).allSatisfy(v -> assertThat(v).hasSize(rounds + 1));
  }

  /** The number of distinct changes (by event id) among the messages. */
  static long distinctEvents(List<PubsubMessage> messages) {
    return messages.stream()
        .map(m -> m.getAttributesMap().get("datis-event-id"))
        .distinct()
        .count();
  }

  /** Per ordering key, first deliveries come in commit order (LSN, then sequence). */
  static void assertPerKeyOrder(List<PubsubMessage> messages) {
    Map<String, long[]> last = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (PubsubMessage message : messages) {
      Map<String, String> a = message.getAttributesMap();
      if (!seen.add(a.get("datis-event-id"))) {
        continue;
      }
      long[] position = {
        Position.parseLsn(a.get("datis-lsn")), Long.parseLong(a.get("datis-sequence"))
      };
      long[] previous = last.put(message.getOrderingKey(), position);
      if (previous != null) {
        boolean inOrder =
            previous[0] < position[0] || (previous[0] == position[0] && previous[1] < position[1]);
        assertThat(inOrder)
            .as(
                "key %s: %s/%s after %s/%s",
                message.getOrderingKey(), position[0], position[1], previous[0], previous[1])
            .isTrue();
      }
    }
  }
}
