package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
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

  /**
   * Debezium 3.7 splits a table into chunks read by {@code snapshot.max.threads} threads. Rows are
   * inserted while the snapshot runs. The rows there before the start must each arrive exactly once
   * as a snapshot read (chunk boundaries neither skip nor repeat a row), and no row may be missing.
   * A row committed during the snapshot may come twice, as a read and as its insert: the slot
   * exists before the snapshot's transaction starts (Datis creates it), so the snapshot cannot be
   * the slot's exported one, and the README says so.
   */
  @Test
  void aSnapshotReadInChunksBySeveralThreadsLosesNoRowAndRepeatsNoneThatWasThereBefore()
      throws Exception {
    pg.execute(
        "CREATE TABLE public.chunked (id bigint PRIMARY KEY, pad text)",
        "INSERT INTO chunked SELECT g, md5(g::text) FROM generate_series(1, 20000) g",
        "CREATE TABLE public.chunked_keyless (n int, pad text)",
        "ALTER TABLE chunked_keyless REPLICA IDENTITY FULL",
        "INSERT INTO chunked_keyless SELECT g, md5(g::text) FROM generate_series(1, 3000) g");
    InMemorySink sink = new InMemorySink();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong lastWritten = new AtomicLong(20_000);
    Thread writer =
        new Thread(
            () -> {
              while (writing.get()) {
                long id = lastWritten.get() + 1;
                pg.execute("INSERT INTO chunked VALUES (" + id + ", 'during')");
                lastWritten.set(id);
              }
            },
            "writer");
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("chunked")
            .tables("public.chunked", "public.chunked_keyless")
            .snapshot(SnapshotMode.INITIAL)
            .debeziumProperty("snapshot.max.threads", "4")
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      writer.start();
      sink.awaitEvents("public.chunked_keyless", 3000, Duration.ofSeconds(120));
      sink.awaitEvents("public.chunked", 20_000, Duration.ofSeconds(120));
      writing.set(false);
      writer.join();
      long written = lastWritten.get();
      sink.awaitEvents(
          events ->
              events.stream()
                      .filter(e -> e.table().toString().equals("public.chunked"))
                      .map(e -> e.key().get("id"))
                      .distinct()
                      .count()
                  >= written,
          Duration.ofSeconds(120));
      List<ChangeEvent> rows =
          sink.events().stream()
              .filter(e -> e.table().toString().equals("public.chunked"))
              .toList();

      assertThat(rows)
          .filteredOn(e -> ((Long) e.key().get("id")) <= 20_000)
          .as("the rows there before the start: each read once, by one of the chunks")
          .hasSize(20_000)
          .allSatisfy(e -> assertThat(e.operation()).isEqualTo(Operation.SNAPSHOT_READ))
          .extracting(e -> e.key().get("id"))
          .doesNotHaveDuplicates();
      assertThat(rows)
          .extracting(e -> (Long) e.key().get("id"))
          .as("no row missing")
          .containsAll(LongStream.rangeClosed(1, written).boxed().toList());
      assertThat(rows)
          .filteredOn(e -> e.operation() != Operation.SNAPSHOT_READ)
          .as("changes streamed are the rows written during or after the snapshot, each once")
          .allSatisfy(e -> assertThat((Long) e.key().get("id")).isGreaterThan(20_000))
          .extracting(e -> e.key().get("id"))
          .doesNotHaveDuplicates();
      assertThat(
              sink.events().stream()
                  .filter(e -> e.table().toString().equals("public.chunked_keyless"))
                  .map(e -> e.after().orElseThrow().get("n")))
          .doesNotHaveDuplicates()
          .hasSize(3000);
    } finally {
      writing.set(false);
      writer.join();
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
