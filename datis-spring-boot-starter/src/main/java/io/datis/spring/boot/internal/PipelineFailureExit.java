package io.datis.spring.boot.internal;

import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What a pipeline failure does to the process: the {@link ExitCodeGenerator} that reports {@code
 * datis.exit-code-on-pipeline-failure} once a pipeline has failed, and the stop of the application
 * that follows a failure.
 *
 * <p>The application stops through {@link SpringApplication#exit}, which closes the context and
 * publishes an {@code ExitCodeEvent} with the code; the process then exits with that code by {@link
 * System#exit}, but only when it is the application's own: when {@code SpringApplication.run} was
 * called from a {@code main} method that the JVM (or Spring Boot's launcher) started, as with
 * {@code java -jar}, {@code mvn spring-boot:run} or an IDE. Never from a test
 * ({@code @SpringBootTest}, {@code ApplicationContextRunner}, a test calling {@code main}), a
 * servlet container or any other host that runs the context on a thread of its own: there only the
 * context closes.
 */
public final class PipelineFailureExit
    implements ExitCodeGenerator, ApplicationListener<ApplicationStartedEvent> {

  private static final Logger log = LoggerFactory.getLogger(PipelineFailureExit.class);

  /** The classes whose frames mark the call of {@code SpringApplication.run}. */
  private static final Set<String> SPRING_APPLICATION =
      Set.of(
          "org.springframework.boot.SpringApplication",
          "org.springframework.boot.SpringApplication$Augmented");

  /**
   * Spring Boot's code that may stand between a {@code main} method and {@code
   * SpringApplication.run}: the builder, the launchers of {@code java -jar} and DevTools' restart.
   */
  private static final List<String> LAUNCHER_PACKAGES =
      List.of(
          "org.springframework.boot.builder.",
          "org.springframework.boot.loader.",
          "org.springframework.boot.devtools.restart.");

  private final int exitCode;
  private final ConfigurableApplicationContext context;
  private volatile boolean launchedFromMain;
  private volatile boolean failed;

  /**
   * The exit of {@code context}'s application.
   *
   * @param exitCode {@code datis.exit-code-on-pipeline-failure}: 0 to 255, where 0 leaves the
   *     process to end by itself
   */
  public PipelineFailureExit(int exitCode, ConfigurableApplicationContext context) {
    this.exitCode = exitCode;
    this.context = context;
  }

  /**
   * Decides, on the thread that runs {@code SpringApplication.run}, whether the process is the
   * application's own.
   */
  @Override
  public void onApplicationEvent(ApplicationStartedEvent event) {
    if (event.getApplicationContext() != context) {
      return; // a child or parent context
    }
    launchedFromMain = launchedFromMain(currentStack());
    log.debug(
        launchedFromMain
            ? "Started from a main method: a pipeline that fails ends the process with status {}"
                + " (datis.exit-code-on-pipeline-failure)"
            : "Not started from a main method (a test, or a host of its own): a pipeline that fails"
                + " closes the application context, and the process runs on; exit code {}",
        exitCode);
  }

  /** {@code datis.exit-code-on-pipeline-failure} once a pipeline has failed, else 0. */
  @Override
  public int getExitCode() {
    return failed ? exitCode : 0;
  }

  /** Whether the application context runs: not closed, nor closing. */
  public boolean isApplicationActive() {
    return context.isActive();
  }

  /** Records that a pipeline failed (or could not start), for {@link #getExitCode()}. */
  public void pipelineFailed() {
    failed = true;
  }

  /**
   * Stops the application on a thread of its own, since closing the context waits for the
   * pipelines: {@link SpringApplication#exit} closes the context, then the process exits with the
   * code unless it is 0 or the process is not the application's own.
   *
   * @param pipeline the name of the pipeline that failed, for the log
   */
  public void stopApplication(String pipeline) {
    Thread stopping = new Thread(() -> exit(pipeline), "datis-stop-application");
    // Not a daemon, as the pipeline's thread that calls this is: the JVM must not end by itself,
    // with
    // status 0, between the close of the context and this thread's exit with the code.
    stopping.setDaemon(false);
    stopping.start();
  }

  private void exit(String pipeline) {
    int code = SpringApplication.exit(context);
    if (exitCode == 0) {
      log.info(
          "The application context is closed after pipeline '{}' failed; the process ends with its"
              + " last thread (datis.exit-code-on-pipeline-failure=0)",
          pipeline);
    } else if (!launchedFromMain) {
      log.info(
          "The application context is closed after pipeline '{}' failed (exit code {}); the"
              + " process runs on, since SpringApplication.run was not called from its main method",
          pipeline,
          code);
    } else {
      log.error(
          "The application has stopped after pipeline '{}' failed: the process exits with status {}"
              + " (datis.exit-code-on-pipeline-failure)",
          pipeline,
          code);
      System.exit(code);
    }
  }

  private static List<StackTraceElement> currentStack() {
    return StackWalker.getInstance()
        .walk(frames -> frames.map(StackWalker.StackFrame::toStackTraceElement).toList());
  }

  /**
   * Whether {@code stack}, that of the thread running {@code SpringApplication.run} (innermost
   * frame first), belongs to an application launched from its {@code main} method: below the
   * outermost frame of {@code SpringApplication}, only {@code main} methods and Spring Boot's
   * launchers, and at least one {@code main}. A test framework, a servlet container or a thread of
   * the application's own below it means that the process is not the application's.
   */
  static boolean launchedFromMain(List<StackTraceElement> stack) {
    int outermost = -1;
    for (int i = 0; i < stack.size(); i++) {
      if (SPRING_APPLICATION.contains(stack.get(i).getClassName())) {
        outermost = i;
      }
    }
    if (outermost < 0) {
      return false;
    }
    boolean main = false;
    for (StackTraceElement frame : stack.subList(outermost + 1, stack.size())) {
      if (frame.getMethodName().equals("main")) {
        main = true;
      } else if (!isLauncher(frame.getClassName())) {
        return false;
      }
    }
    return main;
  }

  private static boolean isLauncher(String className) {
    for (String launcher : LAUNCHER_PACKAGES) {
      if (className.startsWith(launcher)) {
        return true;
      }
    }
    return false;
  }
}
