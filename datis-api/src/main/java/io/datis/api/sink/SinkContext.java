package io.datis.api.sink;

/** What a pipeline tells its sink when it opens it, and how the sink reports trouble back. */
public interface SinkContext {

  /** The name of the pipeline, for logs, metrics and message metadata. */
  String pipelineName();

  /** The name of the PostgreSQL database the pipeline captures from. */
  String database();

  /**
   * Tells the pipeline the sink is retrying (for example its destination is unavailable), so that
   * the pipeline's health shows DEGRADED with this reason until {@link #recovered()}. Call it on
   * every retry; the pipeline remembers when the trouble started, and logs its first retry at WARN,
   * later ones at DEBUG and the recovery at INFO, so a sink need not log its retries above DEBUG
   * itself. The default does nothing.
   */
  default void retrying(String reason) {}

  /** Tells the pipeline the sink delivers normally again. The default does nothing. */
  default void recovered() {}
}
