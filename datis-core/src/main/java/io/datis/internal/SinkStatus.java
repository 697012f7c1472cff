package io.datis.internal;

import io.datis.api.sink.SinkContext;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The context a pipeline gives one of its sinks (the main sink, or the dead-letter sink), keeping
 * what that sink reports about its retries for the pipeline's health.
 */
final class SinkStatus implements SinkContext {

  private static final Logger log = LoggerFactory.getLogger(SinkStatus.class);
  private static final String TROUBLE = "retrying";

  private final String pipelineName;
  private final String database;
  private final String role;
  private final Runnable onRetry;
  private volatile @Nullable String trouble;
  private volatile @Nullable Instant troubleSince;
  private final TroubleLog troubles =
      new TroubleLog(log, "further retries are logged at DEBUG until it recovers");

  /**
   * @param role how health names the sink: {@code sink} or {@code dead-letter sink}
   * @param onRetry counts a retry in the metrics
   */
  SinkStatus(String pipelineName, String database, String role, Runnable onRetry) {
    this.pipelineName = pipelineName;
    this.database = database;
    this.role = role;
    this.onRetry = onRetry;
  }

  @Override
  public String pipelineName() {
    return pipelineName;
  }

  @Override
  public String database() {
    return database;
  }

  @Override
  public void retrying(String reason) {
    onRetry.run();
    if (troubleSince == null) {
      troubleSince = Instant.now();
    }
    trouble = reason;
    troubles.occurred(TROUBLE, "Pipeline '{}': {} retrying: {}", pipelineName, role, reason);
  }

  @Override
  public void recovered() {
    Instant since = troubleSince;
    trouble = null;
    troubleSince = null;
    troubles.over(
        TROUBLE,
        "Pipeline '{}': {} delivers again, after {} s of retries",
        pipelineName,
        role,
        since == null ? 0 : Duration.between(since, Instant.now()).toSeconds());
  }

  /** Such as {@code sink retrying for 12 s: UNAVAILABLE}, or {@code null} when the sink is fine. */
  @Nullable String healthReason() {
    String reason = trouble;
    Instant since = troubleSince;
    if (reason == null || since == null) {
      return null;
    }
    return role
        + " retrying for "
        + Duration.between(since, Instant.now()).toSeconds()
        + " s: "
        + reason;
  }
}
