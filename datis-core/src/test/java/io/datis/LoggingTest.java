package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.api.SourceException;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

/**
 * What Datis writes to the log: the pipeline's name in the MDC, and never row values or passwords.
 */
class LoggingTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final String ROW_SECRET = "ROW-SECRET-4711";
  private static final String PASSWORD_SECRET = "PASSWORD-SECRET-0815";

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private PrintStream stderr;

  @BeforeEach
  void captureTheLog() {
    pg.execute(
        "CREATE TABLE public.accounts (id int PRIMARY KEY, secret text)",
        "CREATE ROLE capturer LOGIN REPLICATION PASSWORD '" + PASSWORD_SECRET + "'",
        "GRANT SELECT ON public.accounts TO capturer",
        "GRANT CREATE ON SCHEMA public TO capturer",
        "GRANT CREATE ON DATABASE " + pg.database() + " TO capturer",
        "ALTER TABLE public.accounts OWNER TO capturer");
    stderr = System.err;
    System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreStderr() {
    System.setErr(stderr);
    pg.execute("DROP OWNED BY capturer", "DROP ROLE capturer");
  }

  @Test
  void transformsAndSinksRunWithThePipelineNameInTheMdc() {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    InMemorySink sink = new InMemorySink();
    Sink recording =
        batch -> {
          seen.add("sink:" + MDC.get(Pipeline.MDC_KEY));
          return sink.deliver(batch);
        };
    Transform recordingTransform =
        event -> {
          seen.add("transform:" + MDC.get(Pipeline.MDC_KEY));
          return TransformResult.keep();
        };
    try (Pipeline pipeline = accounts("mdc").transform(recordingTransform).to(recording).start()) {
      pg.execute("INSERT INTO accounts VALUES (1, 'x')");
      sink.awaitEvents(1, Duration.ofSeconds(60));
    }
    assertThat(seen).containsExactlyInAnyOrder("sink:mdc", "transform:mdc");
  }

  @Test
  void rowValuesAndPasswordsNeverReachTheLogOrErrors() {
    Transform throwsWithTheValue =
        event -> {
          Object secret = event.after().orElseThrow().get("secret");
          throw new IllegalStateException("cannot handle " + secret);
        };
    // Skipped: logged at WARN.
    try (Pipeline skipping =
        accounts("skipping")
            .transform(throwsWithTheValue)
            .errorPolicy(ErrorPolicy.skip())
            .to(new InMemorySink())
            .start()) {
      pg.execute("INSERT INTO accounts VALUES (1, '" + ROW_SECRET + "')");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> log.toString(StandardCharsets.UTF_8).contains("Pipeline 'skipping' skipped"));
    }
    // Failed: logged at ERROR, and the pipeline's failure.
    Pipeline failing =
        accounts("failing").transform(throwsWithTheValue).to(new InMemorySink()).start();
    try (failing) {
      pg.execute("INSERT INTO accounts VALUES (2, '" + ROW_SECRET + "')");
      await().atMost(Duration.ofSeconds(60)).until(() -> failing.failure().isPresent());
    }
    // A wrong password: the error, and whatever was logged.
    Throwable wrongPassword =
        org.assertj.core.api.Assertions.catchThrowable(
            () ->
                Datis.capture(
                        pg.source().toBuilder()
                            .user("capturer")
                            .password(PASSWORD_SECRET + "-wrong")
                            .build())
                    .name("wrong")
                    .tables("public.accounts")
                    .to(new InMemorySink())
                    .start());

    String logged = log.toString(StandardCharsets.UTF_8);
    assertThat(logged)
        .contains(
            "WARN io.datis.internal.PoisonEvents - Pipeline 'skipping' skipped the INSERT of public.accounts",
            "[pipeline=skipping]",
            "ERROR io.datis.internal.DatisPipeline - Pipeline 'failing' failed",
            "[pipeline=failing]");
    for (String text :
        List.of(logged, failing.failure().orElseThrow().getMessage(), wrongPassword.getMessage())) {
      assertThat(text).doesNotContain(ROW_SECRET).doesNotContain(PASSWORD_SECRET);
    }
    assertThat(wrongPassword).isInstanceOf(SourceException.class);
  }

  private static PipelineBuilder accounts(String name) {
    return Datis.capture(pg.source().toBuilder().user("capturer").password(PASSWORD_SECRET).build())
        .name(name)
        .tables("public.accounts")
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory());
  }
}
