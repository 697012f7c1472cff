package io.datis.api.sink;

/** What a pipeline tells its sink when it opens it. */
public interface SinkContext {

  /** The name of the pipeline, for logs, metrics and message metadata. */
  String pipelineName();

  /** The name of the PostgreSQL database the pipeline captures from. */
  String database();
}
