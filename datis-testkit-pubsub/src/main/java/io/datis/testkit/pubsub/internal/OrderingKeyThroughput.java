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

  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
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
    Bucket bucket =
        buckets.computeIfAbsent(request.getTopic() + '\n' + key, ignored -> new Bucket(limit));
    if (bucket.take(charge, limit, System.nanoTime())) {
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
      credit = Math.min(limit, credit + (now - refilledAt) * (limit / 1e9));
      refilledAt = now;
      if (credit <= 0) {
        return false;
      }
      credit -= charge;
      return true;
    }
  }
}
