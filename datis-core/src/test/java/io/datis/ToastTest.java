package io.datis;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Json;
import io.datis.api.event.Unchanged;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Unchanged TOASTed columns: an explicit marker under replica identity DEFAULT, real values under
 * FULL.
 */
class ToastTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  /** Big values stored out of line without compression, so PostgreSQL does not resend them. */
  private static void createToastedTable(String table, String replicaIdentity) {
    pg.execute(
        "CREATE TABLE "
            + table
            + " (id int PRIMARY KEY, small text, big_text text, big_bytes bytea,"
            + " big_json jsonb, big_ints int[])",
        "ALTER TABLE "
            + table
            + " ALTER big_text SET STORAGE EXTERNAL, ALTER big_bytes SET STORAGE EXTERNAL,"
            + " ALTER big_json SET STORAGE EXTERNAL, ALTER big_ints SET STORAGE EXTERNAL",
        "ALTER TABLE " + table + " REPLICA IDENTITY " + replicaIdentity,
        "INSERT INTO "
            + table
            + " VALUES (1, 'a', repeat('x', 10000), decode(repeat('ab', 10000), 'hex'),"
            + " jsonb_build_object('k', repeat('y', 10000)), array(SELECT generate_series(1, 3000)))");
  }

  private static Map<String, @Nullable Object> updateAfterImage(String name, String table) {
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name(name)
            .tables(table)
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      pg.execute("UPDATE " + table + " SET small = 'b' WHERE id = 1");
      List<ChangeEvent> events = sink.awaitEvents(1, Duration.ofSeconds(60));
      return events.get(0).after().orElseThrow();
    }
  }

  @Test
  void unchangedToastedColumnsAreTheUnchangedMarkerUnderReplicaIdentityDefault() {
    createToastedTable("public.toast_default", "DEFAULT");

    Map<String, @Nullable Object> after = updateAfterImage("toast-default", "public.toast_default");

    assertThat(after).containsEntry("small", "b").containsEntry("id", 1);
    assertThat(after.get("big_text")).isSameAs(Unchanged.VALUE);
    assertThat(after.get("big_bytes")).isSameAs(Unchanged.VALUE);
    assertThat(after.get("big_json")).isSameAs(Unchanged.VALUE);
    assertThat(after.get("big_ints")).isSameAs(Unchanged.VALUE);
  }

  @Test
  @SuppressWarnings("unchecked")
  void unchangedToastedColumnsHaveTheirRealValuesUnderReplicaIdentityFull() {
    createToastedTable("public.toast_full", "FULL");

    Map<String, @Nullable Object> after = updateAfterImage("toast-full", "public.toast_full");

    assertThat(after).containsEntry("small", "b");
    assertThat(after.get("big_text")).isEqualTo("x".repeat(10000));
    assertThat((byte[]) after.get("big_bytes")).hasSize(10000);
    assertThat(after.get("big_json")).isEqualTo(Json.of("{\"k\": \"" + "y".repeat(10000) + "\"}"));
    assertThat((List<Object>) after.get("big_ints"))
        .hasSize(3000)
        .startsWith(1, 2, 3)
        .endsWith(3000);
  }
}
