package io.datis.internal;

import io.datis.Pipeline;
import java.util.concurrent.ThreadFactory;
import org.slf4j.MDC;

/**
 * The pipeline's name in the SLF4J MDC, under {@link Pipeline#MDC_KEY}, wherever Datis code runs.
 */
final class LoggingContext {

  private LoggingContext() {}

  /**
   * Runs the task with the pipeline's name in the MDC, leaving the MDC as it was (the thread may be
   * shared).
   */
  static void run(String pipelineName, Runnable task) {
    String previous = MDC.get(Pipeline.MDC_KEY);
    MDC.put(Pipeline.MDC_KEY, pipelineName);
    try {
      task.run();
    } finally {
      if (previous == null) {
        MDC.remove(Pipeline.MDC_KEY);
      } else {
        MDC.put(Pipeline.MDC_KEY, previous);
      }
    }
  }

  /**
   * Daemon threads named {@code datis-<pipeline>-<role>}, with the pipeline's name in their MDC.
   */
  static ThreadFactory threads(String pipelineName, String role) {
    String threadName = "datis-" + pipelineName + "-" + role;
    return runnable -> {
      Thread thread =
          new Thread(
              () -> {
                MDC.put(Pipeline.MDC_KEY, pipelineName);
                runnable.run();
              },
              threadName);
      thread.setDaemon(true);
      return thread;
    };
  }
}
