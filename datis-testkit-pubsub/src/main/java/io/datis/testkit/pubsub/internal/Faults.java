package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The publish faults to inject, and counters of Publish calls. The methods that inject faults check
 * their arguments as {@code LocalPubSub} documents. Thread-safe; the check on each Publish takes no
 * lock unless a count- or time-based fault is armed.
 */
public final class Faults {

  private final AtomicLong received = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final Map<String, Status.Code> rejectedKeys = new ConcurrentHashMap<>();

  private volatile boolean armed;
  private volatile long latencyNanos;

  // guarded by this
  private int failNextTotal;
  private int failNextRemaining;
  private Status.Code failNextCode = Status.Code.UNAVAILABLE;
  private boolean failingFor;
  private long failUntilNanos;
  private Duration failDuration = Duration.ZERO;
  private Status.Code failForCode = Status.Code.UNAVAILABLE;

  /**
   * Fails the next {@code count} Publish calls, replacing an earlier such fault.
   *
   * @throws IllegalArgumentException if {@code count} is negative or {@code code} is {@code OK}
   */
  public synchronized void failNext(int count, Status.Code code) {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    requireFailure(code);
    failNextTotal = count;
    failNextRemaining = count;
    failNextCode = code;
    rearm();
  }

  /**
   * Fails every Publish call from now on for {@code duration}, replacing an earlier such fault.
   *
   * @throws IllegalArgumentException if {@code duration} is negative or {@code code} is {@code OK}
   */
  public synchronized void failFor(Duration duration, Status.Code code) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration must not be negative, got " + duration);
    }
    requireFailure(code);
    failDuration = duration;
    failingFor = true;
    failUntilNanos = System.nanoTime() + duration.toNanos();
    failForCode = code;
    rearm();
  }

  /**
   * Delays every Publish response by {@code latency}; zero turns the delay off.
   *
   * @throws IllegalArgumentException if {@code latency} is negative
   */
  public void latency(Duration latency) {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, got " + latency);
    }
    latencyNanos = latency.toNanos();
  }

  /**
   * Fails every Publish call with a message of this ordering key, until accepted again.
   *
   * @throws IllegalArgumentException if {@code key} is empty or {@code code} is {@code OK}
   */
  public void rejectOrderingKey(String key, Status.Code code) {
    if (Objects.requireNonNull(key, "key").isEmpty()) {
      throw new IllegalArgumentException(
          "key must not be empty: messages without ordering key have the key \"\", which cannot"
              + " be rejected");
    }
    rejectedKeys.put(key, requireFailure(code));
  }

  public void acceptOrderingKey(String key) {
    rejectedKeys.remove(Objects.requireNonNull(key, "key"));
  }

  /** Removes every fault and the latency; leaves the counters. */
  public synchronized void clear() {
    failNextRemaining = 0;
    failingFor = false;
    failDuration = Duration.ZERO;
    rejectedKeys.clear();
    latencyNanos = 0;
    armed = false;
  }

  /** Removes every fault and resets the counters. */
  public void reset() {
    clear();
    received.set(0);
    failed.set(0);
  }

  public long received() {
    return received.get();
  }

  public long failed() {
    return failed.get();
  }

  long latencyNanos() {
    return latencyNanos;
  }

  void countFailure() {
    failed.incrementAndGet();
  }

  /**
   * Counts a Publish call and returns the injected failure it must get, or null. The count-based
   * fault is checked first (and consumed), then the time-based one, then the ordering keys.
   */
  @Nullable Status check(PublishRequest request) {
    received.incrementAndGet();
    if (armed) {
      Status status = checkArmed();
      if (status != null) {
        return status;
      }
    }
    if (!rejectedKeys.isEmpty()) {
      for (PubsubMessage message : request.getMessagesList()) {
        String key = message.getOrderingKey();
        Status.Code code = key.isEmpty() ? null : rejectedKeys.get(key);
        if (code != null) {
          return Status.fromCode(code)
              .withDescription(
                  "Injected by LocalPubSub: rejectOrderingKey(\""
                      + key
                      + "\", "
                      + code
                      + ") fails every Publish with a message of that ordering key, until"
                      + " acceptOrderingKey(\""
                      + key
                      + "\")");
        }
      }
    }
    return null;
  }

  private synchronized @Nullable Status checkArmed() {
    if (failNextRemaining > 0) {
      failNextRemaining--;
      rearm();
      return Status.fromCode(failNextCode)
          .withDescription(
              "Injected by LocalPubSub: failNextPublishes("
                  + failNextTotal
                  + ", "
                  + failNextCode
                  + "), "
                  + failNextRemaining
                  + " more to fail");
    }
    long left = failingFor ? failUntilNanos - System.nanoTime() : 0;
    if (left > 0) {
      return Status.fromCode(failForCode)
          .withDescription(
              "Injected by LocalPubSub: failPublishesFor("
                  + failDuration
                  + ", "
                  + failForCode
                  + "), "
                  + Duration.ofNanos(left).toMillis()
                  + " ms left");
    }
    failingFor = false;
    rearm();
    return null;
  }

  private static Status.Code requireFailure(Status.Code code) {
    Objects.requireNonNull(code, "code");
    if (code == Status.Code.OK) {
      throw new IllegalArgumentException(
          "OK is not a failure: pass an error code such as UNAVAILABLE or PERMISSION_DENIED");
    }
    return code;
  }

  private void rearm() {
    armed = failNextRemaining > 0 || failingFor;
  }
}
