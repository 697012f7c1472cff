package io.datis.pubsub.internal;

import io.datis.api.sink.SinkContext;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the sink DEGRADED while any lane retries a request, through {@link SinkContext#retrying}
 * and {@link SinkContext#recovered}: the pipeline logs the outage (WARN when it begins, INFO when
 * it is over), and each retry's details are at DEBUG here.
 */
final class RetryReporting implements PublishLane.RetryListener {

  private static final Logger log = LoggerFactory.getLogger(RetryReporting.class);

  private final SinkContext context;

  /** Lanes whose requests are being retried. Guarded by itself. */
  private final Set<PublishLane> retryingLanes = new HashSet<>();

  RetryReporting(SinkContext context) {
    this.context = context;
  }

  @Override
  public void retrying(PublishLane lane, Throwable cause, long delayMillis, int attempt) {
    if (log.isDebugEnabled()) {
      log.debug(
          "Publishing to {} (ordering key '{}') failed ({}); retrying in {} ms (attempt {}), the key's later messages waiting",
          lane.topic(),
          lane.orderingKey(),
          PubSubErrors.describe(cause),
          delayMillis,
          attempt);
    }
    synchronized (retryingLanes) {
      retryingLanes.add(lane);
      context.retrying(
          "publishing to " + lane.topic() + " failed: " + PubSubErrors.describe(cause));
    }
  }

  @Override
  public void recovered(PublishLane lane) {
    log.debug(
        "Publishing to {} (ordering key '{}') succeeds again", lane.topic(), lane.orderingKey());
    synchronized (retryingLanes) {
      if (retryingLanes.remove(lane) && retryingLanes.isEmpty()) {
        context.recovered();
      }
    }
  }
}
