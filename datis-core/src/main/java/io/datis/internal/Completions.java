package io.datis.internal;

import java.util.concurrent.CompletionException;

/** What a failed {@link java.util.concurrent.CompletionStage} really failed with. */
final class Completions {

  private Completions() {}

  /** The cause a {@link CompletionException} wraps, or the error itself. */
  static Throwable cause(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }
}
