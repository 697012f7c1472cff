package io.datis.spring.boot;

import io.datis.Pipeline;
import io.datis.spring.boot.internal.PipelineFailureExit;
import io.datis.spring.boot.internal.PipelineRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * The pipelines of {@code datis.pipelines.*}, started and stopped with the application context: the
 * bean {@code datisPipelines}. Inject it to reach a running {@link Pipeline}, for example to read
 * tables again:
 *
 * <pre>{@code
 * pipelines.pipeline("orders").orElseThrow().snapshot("public.orders");
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 *
 * <p>The pipelines start, one after the other, when the application context has created every bean,
 * in the {@link SmartLifecycle} phase {@link #PHASE}: after the web server started (so its health
 * endpoint already answers), and before the application is ready. They stop, all at once, in the
 * same phase when the context closes: before the web server's graceful shutdown, each within its
 * close timeout, which by default is a third of {@code spring.lifecycle.timeout-per-shutdown-phase}
 * so that it has closed before Spring stops waiting. A pipeline whose instance is not the active
 * one starts as a standby.
 *
 * <p>A pipeline that fails, at start or later, is logged at ERROR, and its health says {@code
 * DOWN}. With {@code datis.stop-application-on-pipeline-failure=true} (the default) it also stops
 * the application: a failure at start fails the application's start; a later one stops it with
 * {@link org.springframework.boot.SpringApplication#exit SpringApplication.exit}, which closes the
 * application context, and the process exits with status {@code
 * datis.exit-code-on-pipeline-failure} (default 1), so that its supervisor (Kubernetes, systemd,
 * ...) sees a failure and starts a new one, which resumes from the committed offsets. The process
 * exits only when the application was started from its {@code main} method; in a test, or in a host
 * that runs the context on a thread of its own, only the context closes. Either way, once a
 * pipeline has failed, Datis's {@link org.springframework.boot.ExitCodeGenerator} bean reports that
 * code to {@code SpringApplication.exit}.
 *
 * <p>While the pipelines run, a non-daemon thread ({@code datis-keep-alive}) keeps the JVM alive,
 * as {@code spring.main.keep-alive} does: an application without a web server then runs as long as
 * its pipelines, including a standby, or one that is down with {@code
 * datis.stop-application-on-pipeline-failure=false}.
 */
public final class DatisPipelines implements SmartLifecycle, DisposableBean {

  /**
   * The {@link SmartLifecycle#getPhase() phase} in which the pipelines start and stop: {@code
   * Integer.MAX_VALUE - 512}. Beans of a lower phase start before and stop after them (the web
   * server starts in {@code Integer.MAX_VALUE - 2048} and shuts down gracefully in {@code
   * Integer.MAX_VALUE - 1024}); beans of the default phase ({@code Integer.MAX_VALUE}) start after
   * and stop before them.
   */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

  private static final Logger log = LoggerFactory.getLogger(DatisPipelines.class);

  private final List<PipelineRunner> runners;
  private final boolean autoStartup;
  private final boolean stopApplicationOnFailure;
  private final PipelineFailureExit exit;
  private volatile boolean running;
  private @Nullable Thread keepAlive; // guarded by this

  DatisPipelines(
      List<PipelineRunner> runners,
      boolean autoStartup,
      boolean stopApplicationOnFailure,
      PipelineFailureExit exit) {
    this.runners = List.copyOf(runners);
    this.autoStartup = autoStartup;
    this.stopApplicationOnFailure = stopApplicationOnFailure;
    this.exit = exit;
  }

  /** The names of the configured pipelines, in the order configured. */
  public List<String> names() {
    List<String> names = new ArrayList<>();
    for (PipelineRunner runner : runners) {
      names.add(runner.name());
    }
    return List.copyOf(names);
  }

  /**
   * The pipeline of that name, running or stopped; empty before it started, or when it could not
   * start.
   *
   * @throws IllegalArgumentException if no pipeline of that name is configured
   */
  public Optional<Pipeline> pipeline(String name) {
    return Optional.ofNullable(runner(name).pipeline());
  }

  /**
   * Why the pipeline of that name could not start the last time it was started, if it could not
   * (with {@code datis.stop-application-on-pipeline-failure=false}; otherwise the application does
   * not start).
   *
   * @throws IllegalArgumentException if no pipeline of that name is configured
   */
  public Optional<Throwable> startFailure(String name) {
    return Optional.ofNullable(runner(name).startFailure());
  }

  /** The runners, for the health contributor. */
  List<PipelineRunner> runners() {
    return runners;
  }

  /**
   * Starts every pipeline that does not run, one after the other. Called by the application context
   * unless {@code datis.auto-startup=false}.
   *
   * @throws io.datis.api.DatisException why a pipeline could not start, with {@code
   *     datis.stop-application-on-pipeline-failure=true} (the pipelines started before it are
   *     closed again)
   */
  @Override
  public synchronized void start() {
    running = true;
    keepTheJvmAlive();
    for (PipelineRunner runner : runners) {
      try {
        runner.start(this::failed);
      } catch (RuntimeException e) {
        exit.pipelineFailed();
        if (stopApplicationOnFailure) {
          closeAll();
          running = false;
          releaseTheJvm();
          throw e;
        }
        log.error(
            "Pipeline '{}' could not start; its health says DOWN while the application runs on"
                + " (datis.stop-application-on-pipeline-failure=false): {}",
            runner.name(),
            e.getMessage());
        log.debug("Pipeline '{}' could not start", runner.name(), e);
      }
    }
  }

  /** Closes every pipeline, all at once, and returns once they have stopped. */
  @Override
  public void stop() {
    running = false;
    closeAll();
    releaseTheJvm();
  }

  /**
   * Closes every pipeline, all at once, on a thread of its own, and runs {@code callback} once they
   * have stopped.
   */
  @Override
  public void stop(Runnable callback) {
    running = false;
    Thread stopping =
        new Thread(
            () -> {
              try {
                closeAll();
                releaseTheJvm();
              } finally {
                callback.run();
              }
            },
            "datis-stop");
    stopping.start();
  }

  /** Whether the pipelines were started and not stopped since. */
  @Override
  public boolean isRunning() {
    return running;
  }

  /** {@code datis.auto-startup}: whether the application context starts the pipelines. */
  @Override
  public boolean isAutoStartup() {
    return autoStartup;
  }

  /** {@link #PHASE}. */
  @Override
  public int getPhase() {
    return PHASE;
  }

  /** Closes the pipelines that still run when the context is destroyed without being stopped. */
  @Override
  public void destroy() {
    running = false;
    closeAll();
    releaseTheJvm();
  }

  private PipelineRunner runner(String name) {
    Objects.requireNonNull(name, "name");
    for (PipelineRunner runner : runners) {
      if (runner.name().equals(name)) {
        return runner;
      }
    }
    throw new IllegalArgumentException(
        "No pipeline '" + name + "' is configured under datis.pipelines; configured: " + names());
  }

  // Datis's own threads are daemons, and Debezium's end with a failed pipeline: without a web
  // server, the JVM would end by itself, with status 0, before the failure stops the application
  // (or while a pipeline waits as a standby, or is down with
  // datis.stop-application-on-pipeline-failure=false).
  private synchronized void keepTheJvmAlive() {
    if (keepAlive == null) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  new CountDownLatch(1).await();
                } catch (InterruptedException released) {
                  // the pipelines have stopped
                }
              },
              "datis-keep-alive");
      thread.setDaemon(false);
      thread.start();
      keepAlive = thread;
    }
  }

  private synchronized void releaseTheJvm() {
    Thread thread = keepAlive;
    if (thread != null) {
      thread.interrupt();
      keepAlive = null;
    }
  }

  private void closeAll() {
    List<Thread> closing = new ArrayList<>();
    for (PipelineRunner runner : runners) {
      if (runner.isRunning()) {
        Thread thread = new Thread(runner::close, "datis-stop-" + runner.name());
        thread.start();
        closing.add(thread);
      }
    }
    boolean interrupted = false;
    for (Thread thread : closing) {
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true; // a pipeline's close is not cut short: wait on, then restore
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  // The pipeline has logged its failure, with the stack trace; this says what follows from it.
  private void failed(PipelineRunner runner, Throwable failure) {
    exit.pipelineFailed();
    if (!stopApplicationOnFailure) {
      log.error(
          "Pipeline '{}' failed; its health says DOWN while the application runs on"
              + " (datis.stop-application-on-pipeline-failure=false): {}",
          runner.name(),
          failure.getMessage());
      return;
    }
    if (!running || !exit.isApplicationActive()) {
      return; // stopping anyway
    }
    log.error(
        "Pipeline '{}' failed, so the application stops (datis.stop-application-on-pipeline-failure"
            + "=true): {}",
        runner.name(),
        failure.getMessage());
    // Not on the pipeline's thread: closing the context closes the pipelines and waits for them.
    exit.stopApplication(runner.name());
  }
}
