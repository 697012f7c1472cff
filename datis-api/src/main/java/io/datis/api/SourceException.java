package io.datis.api;

import org.jspecify.annotations.Nullable;

/**
 * The source database cannot be captured from, or capturing failed: logical replication is not
 * enabled, a table does not exist, the user lacks a privilege, the replication slot is in use, or
 * the connection failed. The message says which, and how to fix it.
 */
public final class SourceException extends DatisException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message and an optional cause. */
  public SourceException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /** Creates an exception with a message. */
  public SourceException(String message) {
    super(message, null);
  }
}
