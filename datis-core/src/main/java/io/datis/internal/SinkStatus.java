package io.datis.internal;

import io.datis.api.sink.SinkContext;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The context a pipeline gives one of its sinks (the main sink, or the dead-letter sink), keeping
 * what that sink reports about its retries for the pipeline's health.
 */
final class SinkStatus implements SinkContext {

  private final String pipelineName;
  private final String database;
  private final String role;
  private final Runnable onRetry;
  private volatile @Nullable String trouble;
  private volatile @Nullable Instant troubleSince;

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
  }

  @Override
  public void recovered() {
    trouble = null;
    troubleSince = null;
  }

  /** Such as {@code sink retrying for 12 s: UNAVAILABLE}, or {@code null} when the sink is fine. */
  @Nullable String healthReason() {
    String reason = trouble;
    Instant since = troubleSince;
    if (reason == null || since == null) {
      return null;
    }
    return role + " retrying for " + Duration.between(since, Instant.now()).toSeconds() + " s: " + reason;
  }
}
