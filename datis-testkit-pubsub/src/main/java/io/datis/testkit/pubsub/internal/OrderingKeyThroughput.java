package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PublishRequest;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Pub/Sub's publish throughput limit per ordering key, off until {@link #limit} sets it. Each
 * topic's ordering key has a bucket of one second of throughput that refills continuously; a
 * Publish is charged what Pub/Sub's quota charges (its size rounded up to whole kilobytes, at least
 * one), is accepted while the bucket is not empty (so that a request larger than a second's worth
 * still passes, once, leaving a debt), and is refused with {@code RESOURCE_EXHAUSTED} otherwise.
 * Messages without ordering key are not limited. Thread-safe.
 */
public final class OrderingKeyThroughput {

  private static final long QUOTA_UNIT_BYTES = 1000;

  /** Full buckets are forgotten every this many requests, so memory does not grow with keys. */
  private static final int SWEEP_INTERVAL = 10_000;

  /** The buckets of each topic's ordering keys; a key without one has a full bucket. */
  private final Map<String, Map<String, Bucket>> buckets = new ConcurrentHashMap<>();

  private final AtomicLong checked = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private volatile long bytesPerSecond;

  /**
   * Limits each ordering key to {@code bytesPerSecond}; 0 removes the limit. Starts every key with
   * a full bucket.
   *
   * @throws IllegalArgumentException if {@code bytesPerSecond} is negative
   */
  public void limit(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException(
          "bytesPerSecond must be positive, or 0 for no limit, got " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
    buckets.clear();
  }

  /** The number of Publish calls refused for going over the limit. */
  public long refused() {
    return refused.get();
  }

  /** How many ordering keys have a bucket that is not full (or was not when last swept). */
  int trackedKeys() {
    return buckets.values().stream().mapToInt(Map::size).sum();
  }

  /** Removes the limit and resets the count. */
  public void reset() {
    limit(0);
    refused.set(0);
  }

  /**
   * Charges the request to its ordering key and returns {@code RESOURCE_EXHAUSTED} if the key is
   * over its limit, or null. A request that mixes ordering keys is not charged: the broker refuses
   * it.
   */
  @Nullable Status check(PublishRequest request) {
    long limit = bytesPerSecond;
    if (limit == 0 || request.getMessagesCount() == 0) {
      return null;
    }
    String key = request.getMessages(0).getOrderingKey();
    if (key.isEmpty()) {
      return null;
    }
    long charge =
        Math.max(1, (request.getSerializedSize() + QUOTA_UNIT_BYTES - 1) / QUOTA_UNIT_BYTES)
            * QUOTA_UNIT_BYTES;
    long now = System.nanoTime();
    if (checked.incrementAndGet() % SWEEP_INTERVAL == 0) {
      buckets.values().forEach(keys -> keys.values().removeIf(b -> b.isFull(limit, now)));
    }
    Bucket bucket =
        buckets
            .computeIfAbsent(request.getTopic(), topic -> new ConcurrentHashMap<>())
            .computeIfAbsent(key, ignored -> new Bucket(limit));
    if (bucket.take(charge, limit, now)) {
      return null;
    }
    refused.incrementAndGet();
    return Status.RESOURCE_EXHAUSTED.withDescription(
        "Publish throughput for ordering key \""
            + key
            + "\" is over "
            + limit
            + " bytes/s (LocalPubSub.limitOrderingKeyThroughput; Pub/Sub allows 1 MB/s per ordering"
            + " key): spread the messages over more ordering keys, or publish them again later");
  }

  /** One key's credit in bytes: at most a second's worth, below zero after a large request. */
  private static final class Bucket {
    private double credit;
    private long refilledAt = System.nanoTime();

    Bucket(long limit) {
      credit = limit;
    }

    synchronized boolean take(long charge, long limit, long now) {
      refill(limit, now);
      if (credit <= 0) {
        return false;
      }
      credit -= charge;
      return true;
    }

    synchronized boolean isFull(long limit, long now) {
      refill(limit, now);
      return credit >= limit;
    }

    private void refill(long limit, long now) {
      credit = Math.min(limit, credit + Math.max(0, now - refilledAt) * (limit / 1e9));
      refilledAt = Math.max(refilledAt, now);
    }
  }
}
