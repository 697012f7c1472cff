package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.io.StringReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * A pipeline that stops, by a sink failure or by close(), loses nothing: a new pipeline with the
 * same offsets and slot delivers every remaining change, and acknowledges nothing twice that was
 * committed.
 */
class RestartTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir Path offsetsDir;

  private PipelineBuilder pipeline(String name, String table, InMemorySink sink) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(table)
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.file(offsetsDir.resolve(name + ".offsets")))
        .maxBatchSize(20)
        .maxInFlightEvents(100)
        .closeTimeout(Duration.ofSeconds(1))
        .to(sink);
  }

  @Test
  void sinkFailureAfterSomeBatchesLosesNothingAndRedeliversOnlyUncompletedBatches()
      throws Exception {
    pg.execute("CREATE TABLE public.events_a (id int PRIMARY KEY, payload text)");
    InMemorySink sink = new InMemorySink().failAfter(3);
    Pipeline first = pipeline("restart-fail", "public.events_a", sink).start();
    insertOneRowPerTransaction("public.events_a", 1, 400);

    assertThatThrownBy(() -> first.awaitTermination(TIMEOUT))
        .isInstanceOf(SinkException.class)
        .isSameAs(first.failure().orElseThrow());
    int acknowledgedBeforeFailure = sink.events().size();
    assertThat(acknowledgedBeforeFailure).isBetween(1, 399);

    sink.reset();
    try (Pipeline second = pipeline("restart-fail", "public.events_a", sink).start()) {
      sink.awaitEvents(events -> ids(events).size() == 400, TIMEOUT);
    }
    assertThat(ids(sink.events())).isEqualTo(range(1, 400));
    assertThat(acknowledgedTwice(sink.events())).isEmpty();
  }

  @Test
  void closeWithBatchesInFlightLosesNothingAndRedeliversOnlyUncompletedBatches() {
    pg.execute("CREATE TABLE public.events_b (id int PRIMARY KEY, payload text)");
    InMemorySink sink = new InMemorySink().stallAfter(4);
    Pipeline first = pipeline("restart-close", "public.events_b", sink).start();
    insertOneRowPerTransaction("public.events_b", 1, 300);
    await().atMost(TIMEOUT).until(() -> sink.stalledBatches() > 0);
    first.close();
    assertThat(first.failure()).isEmpty();
    int acknowledgedBeforeClose = sink.events().size();
    assertThat(acknowledgedBeforeClose).isBetween(1, 299);

    sink.reset();
    insertOneRowPerTransaction("public.events_b", 301, 350);
    try (Pipeline second = pipeline("restart-close", "public.events_b", sink).start()) {
      sink.awaitEvents(events -> ids(events).size() == 350, TIMEOUT);
    }
    assertThat(ids(sink.events())).isEqualTo(range(1, 350));
    assertThat(acknowledgedTwice(sink.events())).isEmpty();
  }

  @Test
  void stopInTheMiddleOfOneCopyTransactionStillDeliversAllItsRows() throws Exception {
    pg.execute("CREATE TABLE public.copied (id int PRIMARY KEY, payload text)");
    InMemorySink sink = new InMemorySink().stallAfter(3);
    Pipeline first =
        pipeline("restart-copy", "public.copied", sink)
            .maxBatchSize(500)
            .maxInFlightEvents(2000)
            .start();
    String rows =
        IntStream.rangeClosed(1, 10_000)
            .mapToObj(i -> i + "\trow " + i + "\n")
            .collect(Collectors.joining());
    try (Connection connection = pg.connect()) {
      long copied =
          connection
              .unwrap(PGConnection.class)
              .getCopyAPI()
              .copyIn("COPY public.copied FROM STDIN", new StringReader(rows));
      assertThat(copied).isEqualTo(10_000);
    }
    // All 10,000 rows of the COPY are one transaction; rows of one multi-insert WAL record share an
    // LSN.
    await().atMost(TIMEOUT).until(() -> sink.stalledBatches() > 0);
    first.close();
    int acknowledgedBeforeClose = sink.events().size();
    assertThat(acknowledgedBeforeClose).isBetween(1, 9_999);
    List<ChangeEvent> firstRun = sink.events();
    assertThat(firstRun.stream().map(e -> e.position().lsn()).distinct().count())
        .as("rows sharing an LSN")
        .isLessThan(firstRun.size());

    sink.clear();
    sink.reset();
    try (Pipeline second =
        pipeline("restart-copy", "public.copied", sink)
            .maxBatchSize(500)
            .maxInFlightEvents(2000)
            .start()) {
      sink.awaitEvents(events -> ids(events).size() == 10_000, TIMEOUT);
    }
    assertThat(ids(sink.events())).isEqualTo(range(1, 10_000));
  }

  @Test
  void closeBetweenATransactionsLastChangeAndItsEndMarkerStillCommitsTheTransaction()
      throws Exception {
    pg.execute("CREATE TABLE public.events_end (id int PRIMARY KEY, payload text)");
    InMemorySink sink = new InMemorySink();
    AtomicReference<Pipeline> first = new AtomicReference<>();
    // With one record per batch, the end marker comes in the batch after the last row: the sink
    // holds that
    // row's batch until close() has begun, so the marker arrives while the pipeline is stopping.
    Sink closingAtTheLastRow =
        batch -> {
          if (batch.stream().anyMatch(event -> event.key().get("id").equals(9))) {
            Pipeline pipeline = first.get();
            new Thread(pipeline::close, "closer").start();
            await().atMost(TIMEOUT).until(() -> !pipeline.isRunning());
          }
          return sink.deliver(batch);
        };
    first.set(
        pipeline("restart-end", "public.events_end", sink)
            .maxBatchSize(1)
            .to(closingAtTheLastRow)
            .start());
    pg.execute(
        IntStream.rangeClosed(1, 9)
            .mapToObj(i -> "INSERT INTO public.events_end VALUES (" + i + ", 'payload " + i + "')")
            .collect(Collectors.joining("; ", "BEGIN; ", "; COMMIT")));
    assertThat(first.get().awaitTermination(TIMEOUT)).isTrue();
    assertThat(first.get().failure()).isEmpty();
    assertThat(ids(sink.events())).isEqualTo(range(1, 9));

    InMemorySink second = new InMemorySink();
    try (Pipeline restarted = pipeline("restart-end", "public.events_end", second).start()) {
      pg.execute("INSERT INTO public.events_end VALUES (10, 'payload 10')");
      assertThat(ids(second.awaitEvents(1, TIMEOUT)))
          .as("the closed transaction is not delivered again")
          .containsExactly(10);
    }
  }

  @Test
  void closeCalledByTheSinkStopsThePipelineAndLetsGoOfTheSlot() throws Exception {
    pg.execute("CREATE TABLE public.events_self (id int PRIMARY KEY, payload text)");
    InMemorySink sink = new InMemorySink();
    AtomicReference<Pipeline> first = new AtomicReference<>();
    Sink closingItself =
        batch -> {
          if (batch.stream().anyMatch(event -> event.key().get("id").equals(5))) {
            first.get().close(); // on the pipeline's own thread: must not wait for itself
          }
          return sink.deliver(batch);
        };
    first.set(pipeline("restart-self", "public.events_self", sink).to(closingItself).start());
    insertOneRowPerTransaction("public.events_self", 1, 5);

    assertThat(first.get().awaitTermination(TIMEOUT)).isTrue();
    assertThat(first.get().failure()).isEmpty();
    awaitSlotReleased("datis_restart_self");
    InMemorySink second = new InMemorySink();
    insertOneRowPerTransaction("public.events_self", 6, 6);
    try (Pipeline restarted = pipeline("restart-self", "public.events_self", second).start()) {
      second.awaitEvents(events -> ids(events).contains(6), TIMEOUT);
    }
    assertThat(ids(second.events()))
        .as("what the first pipeline delivered and committed")
        .doesNotContain(1, 2, 3, 4);
  }

  @Test
  void closeOnAnInterruptedThreadStillCommitsWhatWasDelivered() throws Exception {
    pg.execute("CREATE TABLE public.events_interrupted (id int PRIMARY KEY, payload text)");
    InMemorySink sink = new InMemorySink();
    AtomicInteger handedOver = new AtomicInteger();
    // Acknowledges half a second late, so that close() has batches to wait for.
    Sink slow =
        batch -> {
          handedOver.addAndGet(batch.size());
          return CompletableFuture.runAsync(
              () -> sink.deliver(batch),
              CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS));
        };
    Pipeline first =
        pipeline("restart-interrupted", "public.events_interrupted", sink).to(slow).start();
    insertOneRowPerTransaction("public.events_interrupted", 1, 5);
    await().atMost(TIMEOUT).until(() -> handedOver.get() == 5);
    Thread closer =
        new Thread(
            () -> {
              Thread.currentThread().interrupt();
              first.close();
            });
    closer.start();
    closer.join(TIMEOUT.toMillis());
    assertThat(first.awaitTermination(Duration.ZERO))
        .as("close() returned only once stopped")
        .isTrue();
    awaitSlotReleased("datis_restart_interrupted");

    InMemorySink second = new InMemorySink();
    try (Pipeline restarted =
        pipeline("restart-interrupted", "public.events_interrupted", second).start()) {
      insertOneRowPerTransaction("public.events_interrupted", 6, 6);
      assertThat(ids(second.awaitEvents(1, TIMEOUT))).containsExactly(6);
    }
  }

  @Test
  void offsetsKeptInAPostgresTableLetANewPipelineResumeWithoutRedelivery() {
    pg.execute("CREATE TABLE public.events_pg (id int PRIMARY KEY, payload text)");
    InMemorySink firstSink = new InMemorySink();
    try (Pipeline first =
        pipeline("restart-pg", "public.events_pg", firstSink)
            .offsets(OffsetStore.postgres())
            .start()) {
      insertOneRowPerTransaction("public.events_pg", 1, 50);
      firstSink.awaitEvents(50, TIMEOUT);
    }
    assertThat(
            pg.query(
                "SELECT convert_from(offset_value, 'UTF8') FROM public.datis_offsets WHERE pipeline = 'restart-pg'",
                row -> row.getString(1)))
        .singleElement()
        .asString()
        .contains("\"lsn_commit\"");

    InMemorySink secondSink = new InMemorySink();
    try (Pipeline second =
        pipeline("restart-pg", "public.events_pg", secondSink)
            .offsets(OffsetStore.postgres())
            .start()) {
      insertOneRowPerTransaction("public.events_pg", 51, 60);
      secondSink.awaitEvents(10, TIMEOUT);
    }
    assertThat(ids(secondSink.events())).isEqualTo(range(51, 60));
  }

  /** The stopped engine let go of its replication connection (Debezium stopped its task). */
  private static void awaitSlotReleased(String slot) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                pg.query(
                    "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'",
                    row -> row.getBoolean(1)),
            active -> active.equals(List.of(false)));
  }

  private static void insertOneRowPerTransaction(String table, int from, int to) {
    String[] statements =
        IntStream.rangeClosed(from, to)
            .mapToObj(i -> "INSERT INTO " + table + " VALUES (" + i + ", 'payload " + i + "')")
            .toArray(String[]::new);
    pg.execute(statements);
  }

  private static Set<Integer> ids(List<ChangeEvent> events) {
    return events.stream()
        .map(e -> (Integer) e.key().get("id"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<Integer> range(int from, int to) {
    return IntStream.rangeClosed(from, to).boxed().collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<Integer> acknowledgedTwice(List<ChangeEvent> events) {
    Map<Integer, Integer> counts = new HashMap<>();
    for (ChangeEvent event : events) {
      counts.merge((Integer) event.key().get("id"), 1, Integer::sum);
    }
    return counts.entrySet().stream()
        .filter(e -> e.getValue() > 1)
        .map(Map.Entry::getKey)
        .collect(Collectors.toSet());
  }
}
