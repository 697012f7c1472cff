package io.datis.internal;

import io.datis.api.SourceException;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Debezium engine on a thread of its own: started once, reporting to the pipeline when
 * it stops by itself, and stopped once.
 */
final class CaptureEngine {

  private static final Logger log = LoggerFactory.getLogger(CaptureEngine.class);

  /** How long {@link #start} waits for the engine to connect and begin polling. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

  /** Told when the engine stopped by itself: with the error, or with Debezium's message. */
  interface StopListener {
    void stopped(String message, @Nullable Throwable error);
  }

  private final String pipelineName;
  private final ExecutorService executor;
  private final CountDownLatch pollingStarted = new CountDownLatch(1);
  private volatile @Nullable DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;

  /**
   * Set once the engine has stopped by itself or been stopped: closing it again is refused,
   * harmlessly.
   */
  private volatile boolean stopped;

  CaptureEngine(String pipelineName, ThreadFactory thread) {
    this.pipelineName = pipelineName;
    this.executor = Executors.newSingleThreadExecutor(thread);
  }

  /**
   * Starts the engine and returns once it polls.
   *
   * @param failure the pipeline's failure, if one came while starting: it is thrown instead of
   *     waiting on
   * @throws SourceException if the engine did not begin polling in time
   */
  void start(
      Properties configuration,
      DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> batches,
      StopListener listener,
      Supplier<@Nullable Throwable> failure) {
    DebeziumEngine<RecordChangeEvent<SourceRecord>> built =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(configuration)
            .using(
                new DebeziumEngine.ConnectorCallback() {
                  @Override
                  public void pollingStarted() {
                    pollingStarted.countDown();
                  }
                })
            .using(
                (success, message, error) -> {
                  stopped = true;
                  listener.stopped(message, error);
                })
            .notifying(batches)
            .build();
    engine = built;
    executor.execute(built);
    awaitPollingStarted(failure);
  }

  /** Whether {@link #start} was called: there is a slot position worth recording at the stop. */
  boolean wasStarted() {
    return engine != null;
  }

  private void awaitPollingStarted(Supplier<@Nullable Throwable> failure) {
    try {
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (!pollingStarted.await(50, TimeUnit.MILLISECONDS)) {
        Throwable failed = failure.get();
        if (failed != null) {
          throw failed instanceof RuntimeException
              ? (RuntimeException) failed
              : new SourceException(failed.toString(), failed);
        }
        if (System.nanoTime() > deadline) {
          throw new SourceException(
              "Pipeline '"
                  + pipelineName
                  + "' did not start within "
                  + START_TIMEOUT.toSeconds()
                  + " s");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceException("Interrupted while starting pipeline '" + pipelineName + "'", e);
    }
  }

  /** Stops the engine and waits for its thread to end. */
  void close() {
    DebeziumEngine<RecordChangeEvent<SourceRecord>> running = engine;
    try {
      if (running != null) {
        running.close();
      }
    } catch (Exception e) {
      if (stopped) {
        log.debug(
            "Pipeline '{}': the Debezium engine had already stopped: {}",
            pipelineName,
            e.toString());
      } else {
        log.warn(
            "Pipeline '{}': error while stopping the Debezium engine: {}",
            pipelineName,
            e.toString());
      }
    }
    try {
      executor.shutdown();
      if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
        log.warn("Pipeline '{}': the Debezium engine did not stop within 60 s", pipelineName);
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
