package io.datis.bench;

import io.datis.api.sink.Sink;

/** Helpers for the benchmark's sink decorators. */
final class Sinks {

  private Sinks() {}

  /** Closes a wrapped sink, rethrowing what it throws unchecked. */
  static void close(Sink sink) {
    try {
      sink.close();
    } catch (RuntimeException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while closing " + sink, e);
    } catch (Exception e) {
      throw new IllegalStateException("Closing " + sink + " failed: " + e.getMessage(), e);
    }
  }
}
