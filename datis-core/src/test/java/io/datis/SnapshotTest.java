package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SnapshotTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  @Test
  void initialSnapshotDeliversExistingRowsAsSnapshotReadsThenStreams() {
    pg.execute(
        "CREATE TABLE public.products (id int PRIMARY KEY, name text)",
        "INSERT INTO products VALUES (1, 'apple'), (2, 'pear'), (3, 'plum')");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("snapshot")
            .tables("public.products")
            .snapshot(SnapshotMode.INITIAL)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      sink.awaitEvents(3, Duration.ofSeconds(60));
      pg.execute("INSERT INTO products VALUES (4, 'fig')", "DELETE FROM products WHERE id = 1");

      List<ChangeEvent> events = sink.awaitEvents(5, Duration.ofSeconds(60));

      assertThat(events.subList(0, 3))
          .extracting(ChangeEvent::operation, e -> e.after().orElseThrow().get("name"))
          .containsExactlyInAnyOrder(
              tuple(Operation.SNAPSHOT_READ, "apple"),
              tuple(Operation.SNAPSHOT_READ, "pear"),
              tuple(Operation.SNAPSHOT_READ, "plum"));
      assertThat(events.subList(0, 3)).allSatisfy(e -> assertThat(e.before()).isEmpty());
      assertThat(events.subList(3, 5))
          .extracting(ChangeEvent::operation, e -> e.key().get("id"))
          .containsExactly(tuple(Operation.INSERT, 4), tuple(Operation.DELETE, 1));
    }
  }

  @Test
  void changesOnlyModeSkipsExistingRows() {
    pg.execute(
        "CREATE TABLE public.colors (id int PRIMARY KEY, name text)",
        "INSERT INTO colors VALUES (1, 'red')");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("no-snapshot")
            .tables("public.colors")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      pg.execute("INSERT INTO colors VALUES (2, 'blue')");

      List<ChangeEvent> events = sink.awaitEvents(1, Duration.ofSeconds(60));

      assertThat(events).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT);
      assertThat(events.get(0).key()).containsEntry("id", 2);
    }
  }
}
