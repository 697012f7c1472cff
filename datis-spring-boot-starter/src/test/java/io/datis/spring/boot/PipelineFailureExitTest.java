package io.datis.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.spring.boot.internal.PipelineFailureExit;
import io.datis.testkit.DatisPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.ExitCodeEvent;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A pipeline that fails after start stops the application with {@code
 * datis.exit-code-on-pipeline-failure}: a process started from its {@code main} exits with that
 * status (tested in a JVM of its own), while an application that a test runs only closes its
 * context.
 */
class PipelineFailureExitTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  @BeforeAll
  static void createTheTable() {
    pg.execute("CREATE TABLE events (id serial PRIMARY KEY, note text)");
  }

  @Test
  void aProcessStartedFromMainExitsWithStatus1WhenAPipelineFailsLater(@TempDir Path directory)
      throws Exception {
    Path log = directory.resolve("application.log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(FailingSinkApplication.class.getName());
    command.addAll(arguments("child"));
    Process process =
        new ProcessBuilder(command)
            .directory(directory.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();

    boolean ended = process.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      process.destroyForcibly().waitFor();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(ended).as("the process ended by itself; its output:%n%s", output).isTrue();
    assertThat(process.exitValue()).as("exit status; output:%n%s", output).isEqualTo(1);
    assertThat(output)
        .contains(
            "Pipeline 'child' failed, so the application stops"
                + " (datis.stop-application-on-pipeline-failure=true): ",
            FailingSinkApplication.REFUSAL,
            "The application has stopped after pipeline 'child' failed: the process exits with"
                + " status 1 (datis.exit-code-on-pipeline-failure)");
  }

  @Test
  void anApplicationThatATestRunsClosesItsContextAndLeavesTheJvmRunning() {
    ExitCodes exitCodes = new ExitCodes();
    ConfigurableApplicationContext context =
        new SpringApplicationBuilder(FailingSinkApplication.class)
            .web(WebApplicationType.NONE)
            .listeners(exitCodes)
            .run(arguments("in_test").toArray(String[]::new));
    PipelineFailureExit exit = context.getBean(PipelineFailureExit.class);

    await().atMost(Duration.ofSeconds(20)).until(() -> !context.isActive());
    assertThat(exitCodes.codes).containsExactly(1);
    assertThat(exit.getExitCode()).isEqualTo(1);
  }

  private static List<String> arguments(String pipeline) {
    String prefix = "--datis.pipelines." + pipeline + ".";
    return List.of(
        "--spring.main.web-application-type=none",
        "--spring.main.banner-mode=off",
        "--logging.level.root=warn",
        "--logging.level.io.datis.spring=info",
        "--datis.source.jdbc-url=" + pg.jdbcUrl(),
        "--datis.source.user=" + pg.user(),
        "--datis.source.password=" + pg.password(),
        prefix + "tables=public.events",
        prefix + "snapshot=changes-only",
        prefix + "offsets.store=in-memory",
        prefix + "sink=refusingSink");
  }

  private static final class ExitCodes implements ApplicationListener<ExitCodeEvent> {
    final List<Integer> codes = new CopyOnWriteArrayList<>();

    @Override
    public void onApplicationEvent(ExitCodeEvent event) {
      codes.add(event.getExitCode());
    }
  }
}
