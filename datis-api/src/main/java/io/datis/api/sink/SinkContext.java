package io.datis.api.sink;

/** What a pipeline tells its sink when it opens it. */
public interface SinkContext {

  /** The name of the pipeline, for logs and metrics. */
  String pipelineName();
}
