package io.datis.api;

import org.jspecify.annotations.Nullable;

/**
 * A sink failed to deliver a batch. Nothing after the last fully delivered batch was committed, so
 * the undelivered events are delivered again when the pipeline restarts.
 */
public final class SinkException extends DatisException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message and an optional cause. */
  public SinkException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
