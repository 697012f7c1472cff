package io.datis.samples.integration;

import static io.datis.api.event.Operation.DELETE;
import static io.datis.api.event.Operation.INSERT;
import static io.datis.api.event.Operation.UPDATE;
import static io.datis.testkit.DatisAssertions.assertThat;

import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.event.ChangeEvent;
import io.datis.samples.masking.EmailMasking;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An integration test of a pipeline as a user writes one: a real PostgreSQL (one server for the
 * class, a fresh database per test), the real pipeline with the sample's masking transform, an
 * in-memory sink, and the testkit's assertions.
 */
class UsersPipelineIntegrationTest {

  @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final InMemorySink sink = new InMemorySink();

  @BeforeEach
  void createTables() {
    pg.execute(
        "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, plan text NOT NULL)",
        "CREATE TABLE audit (id serial PRIMARY KEY, note text)");
  }

  private Pipeline startPipeline() {
    return Datis.capture(pg.source())
        .name("users-test")
        .tables("public.users")
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory())
        .transform(new EmailMasking("test-key".getBytes(StandardCharsets.UTF_8)))
        .to(sink)
        .start();
  }

  // [integration-test]
  @Test
  void capturesAUsersLifecycleWithTheEmailMasked() {
    try (Pipeline pipeline = startPipeline()) {
      pg.execute(
          "INSERT INTO users VALUES (1, 'ada@example.com', 'free')",
          "INSERT INTO audit (note) VALUES ('not captured')",
          "UPDATE users SET plan = 'pro' WHERE id = 1",
          "DELETE FROM users WHERE id = 1");

      List<ChangeEvent> events = sink.awaitEvents("public.users", 3, TIMEOUT);

      assertThat(sink)
          .receivedFor("public.users")
          .containsOperationsInOrder(INSERT, UPDATE, DELETE);
      assertThat(events.get(1)).isUpdateOf("id", 1).hasAfterColumn("plan", "pro");
      assertThat(events.get(0)).doesNotContainValue("ada@example.com");
      assertThat(sink).hasNoEventsFor("public.audit");
    }
  }

  // [integration-test]

  @Test
  void eachTestStartsFromAnEmptyDatabase() {
    try (Pipeline pipeline = startPipeline()) {
      pg.execute("INSERT INTO users VALUES (2, 'grace@example.com', 'free')");

      assertThat(sink.awaitEvents("public.users", INSERT, 1, TIMEOUT).get(0)).isInsertOf("id", 2);
      assertThat(sink).receivedFor("public.users").hasSize(1);
    }
  }
}
