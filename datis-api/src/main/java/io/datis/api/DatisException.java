package io.datis.api;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception Datis throws. Messages name the problem and how to fix it; they never
 * contain row values or passwords.
 */
public abstract class DatisException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates an exception with a message and an optional cause. */
  protected DatisException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
