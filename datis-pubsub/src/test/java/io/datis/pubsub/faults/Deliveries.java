package io.datis.pubsub.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the Pub/Sub sink published for a {@link Workload} table, in the order the server stored it,
 * checked against what PostgreSQL committed:
 *
 * <ul>
 *   <li>at least once: every committed version of every key was published, and nothing else;
 *   <li>per-key order: going through the messages in publish order and skipping exact repeats of
 *       versions already seen (redelivery after a failure or restart), each key's versions only go
 *       up;
 *   <li>a change published twice carries the same event id both times.
 * </ul>
 */
final class Deliveries {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PROBLEMS_SHOWN = 25;

  /**
   * One published message: the key and version of its row, its event id and the id of its
   * transaction.
   */
  private record Published(int id, int version, String eventId, long txId) {}

  private final List<Published> published;

  private Deliveries(List<Published> published) {
    this.published = published;
  }

  /** Reads the messages of a {@link Workload} table (Datis JSON format), in the given order. */
  static Deliveries of(List<PubsubMessage> messages) {
    List<Published> published = new ArrayList<>(messages.size());
    for (PubsubMessage message : messages) {
      JsonNode envelope;
      try {
        envelope = JSON.readTree(message.getData().toByteArray());
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Not a Datis JSON message: " + message.getAttributesMap(), e);
      }
      JsonNode after = envelope.get("after");
      published.add(
          new Published(
              after.get("id").asInt(),
              after.get("version").asInt(),
              message.getAttributesMap().get("datis-event-id"),
              envelope.get("position").get("txId").asLong()));
    }
    return new Deliveries(published);
  }

  /**
   * The number of distinct changes among messages, by event id: cheap enough to poll while waiting.
   */
  static long distinctEvents(List<PubsubMessage> messages) {
    Set<String> ids = new HashSet<>(messages.size() * 2);
    for (PubsubMessage message : messages) {
      ids.add(message.getAttributesMap().get("datis-event-id"));
    }
    return ids.size();
  }

  /** Messages published. */
  int messages() {
    return published.size();
  }

  /** Distinct changes (key and version) published. */
  long distinct() {
    Set<Long> changes = new HashSet<>(published.size() * 2);
    for (Published p : published) {
      changes.add(((long) p.id() << 32) | p.version());
    }
    return changes.size();
  }

  /** Messages that repeat a change published before. */
  long duplicates() {
    return messages() - distinct();
  }

  /** The transactions (ids) of the messages that repeat a change published before. */
  Set<Long> duplicatedTransactions() {
    Set<Long> seen = new HashSet<>(published.size() * 2);
    Set<Long> transactions = new TreeSet<>();
    for (Published p : published) {
      if (!seen.add(((long) p.id() << 32) | p.version())) {
        transactions.add(p.txId());
      }
    }
    return transactions;
  }

  /**
   * Every way the published messages break the guarantees for these committed versions (key to its
   * last committed version), one line each, the first {@value #PROBLEMS_SHOWN} in full; empty when
   * none.
   */
  List<String> problems(Map<Integer, Integer> committedVersions) {
    List<String> problems = new ArrayList<>();
    int[] total = new int[1];
    Map<Integer, BitSet> seen = new HashMap<>();
    walkInOrder(committedVersions, true, seen, new HashMap<>(), problems, total);
    Map<Integer, String> missing = new TreeMap<>();
    int missingChanges = 0;
    for (Map.Entry<Integer, Integer> key : committedVersions.entrySet()) {
      BitSet versions = seen.getOrDefault(key.getKey(), new BitSet());
      BitSet absent = new BitSet();
      absent.set(0, key.getValue() + 1);
      absent.andNot(versions);
      if (!absent.isEmpty()) {
        missingChanges += absent.cardinality();
        missing.put(key.getKey(), absent.toString());
      }
    }
    if (!missing.isEmpty()) {
      problems.add(
          0,
          missingChanges
              + " committed changes of "
              + missing.size()
              + " keys were never published; key: missing versions (first keys): "
              + missing.entrySet().stream()
                  .limit(PROBLEMS_SHOWN)
                  .map(e -> e.getKey() + ": " + e.getValue())
                  .toList());
    }
    if (total[0] > PROBLEMS_SHOWN) {
      problems.add("... and " + (total[0] - PROBLEMS_SHOWN) + " more problems of the kinds above");
    }
    return problems;
  }

  /**
   * Every way the published messages break the guarantees of a snapshot while streaming, for a
   * table whose rows existed before the pipeline (so their early versions were never streamed):
   * every key arrives, its versions (skipping exact repeats) only go up, and its last one is the
   * committed one. A row read again after a restart may carry a new event id, so ids are not
   * compared.
   */
  List<String> latestStateProblems(Map<Integer, Integer> committedVersions) {
    List<String> problems = new ArrayList<>();
    int[] total = new int[1];
    Map<Integer, Integer> highest = new HashMap<>();
    walkInOrder(committedVersions, false, new HashMap<>(), highest, problems, total);
    List<String> behind = new ArrayList<>();
    for (Map.Entry<Integer, Integer> key : committedVersions.entrySet()) {
      Integer reached = highest.get(key.getKey());
      if (reached == null || reached < key.getValue()) {
        behind.add(
            key.getKey()
                + ": "
                + (reached == null ? "never published" : "published up to version " + reached)
                + ", committed "
                + key.getValue());
      }
    }
    if (!behind.isEmpty()) {
      problems.add(
          0,
          behind.size()
              + " keys never reached their committed version (first keys): "
              + behind.stream().limit(PROBLEMS_SHOWN).toList());
    }
    if (total[0] > PROBLEMS_SHOWN) {
      problems.add("... and " + (total[0] - PROBLEMS_SHOWN) + " more problems of the kinds above");
    }
    return problems;
  }

  /**
   * Goes through the messages in publish order, reporting versions never committed, (optionally) a
   * change published again under another event id, and a key's version going down the first time it
   * is seen; fills in each key's versions seen and highest version.
   */
  private void walkInOrder(
      Map<Integer, Integer> committedVersions,
      boolean sameEventIds,
      Map<Integer, BitSet> seen,
      Map<Integer, Integer> highest,
      List<String> problems,
      int[] total) {
    Map<Long, String> eventIds = new HashMap<>();
    for (int index = 0; index < published.size(); index++) {
      Published p = published.get(index);
      Integer last = committedVersions.get(p.id());
      if (last == null || p.version() > last) {
        report(
            problems,
            total,
            "message #"
                + index
                + ": key "
                + p.id()
                + " version "
                + p.version()
                + " was never committed (last committed: "
                + last
                + ")");
        continue;
      }
      String firstId = eventIds.putIfAbsent(((long) p.id() << 32) | p.version(), p.eventId());
      if (sameEventIds && firstId != null && !firstId.equals(p.eventId())) {
        report(
            problems,
            total,
            "message #"
                + index
                + ": key "
                + p.id()
                + " version "
                + p.version()
                + " came again with event id "
                + p.eventId()
                + " instead of "
                + firstId);
      }
      BitSet versions = seen.computeIfAbsent(p.id(), k -> new BitSet());
      if (versions.get(p.version())) {
        continue; // a redelivery of a version already seen
      }
      versions.set(p.version());
      int previous = highest.getOrDefault(p.id(), -1);
      if (p.version() < previous) {
        report(
            problems,
            total,
            "message #"
                + index
                + ": key "
                + p.id()
                + " version "
                + p.version()
                + " arrived for the first time after version "
                + previous
                + " (order went backwards)");
      } else {
        highest.put(p.id(), p.version());
      }
    }
  }

  /**
   * Keys whose committed version was published, by the highest version published: cheap to poll.
   */
  static long keysUpToDate(List<PubsubMessage> messages, Map<Integer, Integer> committedVersions) {
    Map<Integer, Integer> highest = new HashMap<>();
    for (Published p : of(messages).published) {
      highest.merge(p.id(), p.version(), Math::max);
    }
    return committedVersions.entrySet().stream()
        .filter(e -> e.getValue().equals(highest.get(e.getKey())))
        .count();
  }

  private static void report(List<String> problems, int[] total, String problem) {
    if (++total[0] <= PROBLEMS_SHOWN) {
      problems.add(problem);
    }
  }

  /** One line of figures for the test output. */
  String summary() {
    return messages()
        + " messages, "
        + distinct()
        + " distinct changes, "
        + duplicates()
        + " duplicates";
  }
}
