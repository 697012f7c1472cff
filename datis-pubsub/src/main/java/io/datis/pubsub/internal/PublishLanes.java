package io.datis.pubsub.internal;

import com.google.pubsub.v1.TopicName;
import io.datis.api.SinkException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sink's {@link PublishLane}s: one per topic and ordering key, made when a key is first seen
 * and forgotten once idle, and a few per topic for messages without ordering key, used in turn so
 * that those go out in several requests at once.
 */
final class PublishLanes {

  /**
   * Idle lanes are forgotten every this many messages, so memory does not grow with the number of
   * rows.
   */
  private static final int SWEEP_INTERVAL = 10_000;

  /** Requests without ordering key in flight at once, per topic. */
  private static final int UNORDERED_LANES = 4;

  private final PublishLane.Shared shared;
  private final Map<TopicName, Map<String, PublishLane>> keyed = new ConcurrentHashMap<>();
  private final Map<TopicName, String> topicPaths = new ConcurrentHashMap<>();
  private final Map<TopicName, PublishLane[]> unordered = new ConcurrentHashMap<>();
  private final AtomicInteger unorderedTurn = new AtomicInteger();
  private int addedSinceSweep;

  PublishLanes(PublishLane.Shared shared) {
    this.shared = shared;
  }

  /** The lane of an ordering key, or for the empty key one of the topic's unordered lanes. */
  PublishLane of(TopicName topic, String orderingKey) {
    if (orderingKey.isEmpty()) {
      return unordered(topic);
    }
    return keyed
        .computeIfAbsent(topic, t -> new ConcurrentHashMap<>())
        .computeIfAbsent(orderingKey, key -> newLane(topic, key));
  }

  /** The topic's next lane for messages without ordering key. */
  PublishLane unordered(TopicName topic) {
    PublishLane[] topicLanes =
        unordered.computeIfAbsent(
            topic,
            t -> {
              PublishLane[] created = new PublishLane[UNORDERED_LANES];
              for (int i = 0; i < created.length; i++) {
                created[i] = newLane(t, "");
              }
              return created;
            });
    return topicLanes[Math.floorMod(unorderedTurn.getAndIncrement(), UNORDERED_LANES)];
  }

  private PublishLane newLane(TopicName topic, String orderingKey) {
    String path = topicPaths.computeIfAbsent(topic, TopicName::toString);
    return new PublishLane(shared, topic, path, orderingKey, error -> publishFailure(topic, error));
  }

  /**
   * Counts messages about to be added and, every {@link #SWEEP_INTERVAL} of them, forgets idle
   * keyed lanes. Only the delivering thread adds keyed lanes, so a lane removed here gets no new
   * message.
   */
  void sweepIdle(int messagesToAdd) {
    addedSinceSweep += messagesToAdd;
    if (addedSinceSweep >= SWEEP_INTERVAL) {
      addedSinceSweep = 0;
      keyed.values().forEach(topicLanes -> topicLanes.values().removeIf(PublishLane::isDisposable));
    }
  }

  /** Whether no lane has a message waiting or in flight. */
  boolean allIdle() {
    for (PublishLane lane : all()) {
      if (!lane.isIdle()) {
        return false;
      }
    }
    return true;
  }

  /** Fails every message still waiting or in flight, in every lane. */
  void failAll(Throwable cause) {
    all().forEach(lane -> lane.fail(cause));
  }

  private List<PublishLane> all() {
    List<PublishLane> all = new ArrayList<>();
    keyed.values().forEach(topicLanes -> all.addAll(topicLanes.values()));
    unordered.values().forEach(topicLanes -> all.addAll(List.of(topicLanes)));
    return all;
  }

  private static SinkException publishFailure(TopicName topic, Throwable error) {
    String fix = PubSubErrors.fixFor(error, topic.toString());
    return new SinkException(
        "Publishing to Pub/Sub topic "
            + topic
            + " failed: "
            + PubSubErrors.describe(error)
            + (fix == null ? "" : ". Fix: " + fix),
        PubSubErrors.unwrap(error));
  }
}
