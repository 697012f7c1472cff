package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.TableId;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Reading tables again while changes stream: tables added to a pipeline that ran before, and
 * Pipeline.snapshot(...) on demand. No change is lost, and a row's snapshot event never follows a
 * newer change of it.
 */
class IncrementalSnapshotTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @Test
  void aTableAddedToAPipelineThatRanBeforeHasItsExistingRowsReadWhileChangesStream() {
    pg.execute(
        "CREATE TABLE public.a (id int PRIMARY KEY)",
        "INSERT INTO public.a VALUES (1)",
        "CREATE TABLE public.b (id int PRIMARY KEY, note text)",
        "INSERT INTO public.b SELECT i, 'old' FROM generate_series(1, 3000) i");
    OffsetStore offsets = OffsetStore.postgres();
    InMemorySink first = new InMemorySink();
    try (Pipeline pipeline = start("late", offsets, SnapshotMode.INITIAL, first, "public.a")) {
      first.awaitEvents(1, TIMEOUT); // public.a's snapshot
    }

    InMemorySink second = new InMemorySink();
    try (Pipeline pipeline =
        start("late", offsets, SnapshotMode.INITIAL, second, "public.a", "public.b")) {
      pg.execute(
          "UPDATE public.b SET note = 'new' WHERE id = 7", "INSERT INTO public.a VALUES (2)");

      List<ChangeEvent> events =
          second.awaitEvents(
              received ->
                  lastPerKey(received, "public.b").size() == 3000
                      && received.stream().anyMatch(e -> isRow(e, "public.a", 2)),
              TIMEOUT);

      assertThat(events)
          .filteredOn(event -> event.table().equals(TableId.of("public", "a")))
          .hasSize(1);
      assertThat(events)
          .filteredOn(event -> event.table().toString().endsWith("_signals"))
          .isEmpty();
      Map<Integer, Map<String, @Nullable Object>> b = lastPerKey(events, "public.b");
      assertThat(b.get(7)).containsEntry("note", "new");
      assertThat(b.get(8)).containsEntry("note", "old");
      assertThat(events)
          .filteredOn(
              event ->
                  event.table().equals(TableId.of("public", "b"))
                      && event.operation() == Operation.SNAPSHOT_READ)
          .hasSizeBetween(2999, 3000);
    }
  }

  @Test
  void underChangesOnlyAnAddedTableIsNotReadAndTheLogSaysSo() {
    pg.execute(
        "CREATE TABLE public.a (id int PRIMARY KEY)",
        "CREATE TABLE public.b (id int PRIMARY KEY)",
        "INSERT INTO public.b VALUES (1)");
    OffsetStore offsets = OffsetStore.postgres();
    InMemorySink first = new InMemorySink();
    try (Pipeline pipeline =
        start("late-changes", offsets, SnapshotMode.CHANGES_ONLY, first, "public.a")) {
      pg.execute("INSERT INTO public.a VALUES (1)");
      first.awaitEvents(1, TIMEOUT);
    }
    ListAppender<ILoggingEvent> log = listen();

    InMemorySink second = new InMemorySink();
    try (Pipeline pipeline =
        start("late-changes", offsets, SnapshotMode.CHANGES_ONLY, second, "public.a", "public.b")) {
      pg.execute("INSERT INTO public.b VALUES (2)");

      List<ChangeEvent> events = second.awaitEvents(1, TIMEOUT);

      assertThat(events).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT);
      assertThat(log.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .contains(
              "Pipeline 'late-changes' now also captures [public.b]: their changes from now on are captured, but"
                  + " not their existing rows, since the pipeline runs with SnapshotMode.CHANGES_ONLY; call"
                  + " Pipeline.snapshot(...) to read them");
    } finally {
      ((Logger) LoggerFactory.getLogger("io.datis.internal.PostgresPreflight")).detachAppender(log);
    }
  }

  /**
   * 100,000 rows read on demand while 5,000 updates change the same rows: afterwards the last event
   * of every row is the row as the table holds it.
   */
  @Test
  void anOnDemandSnapshotDuringUpdatesOfTheSameRowsEndsWithEachRowsLatestState() throws Exception {
    int rows = 100_000;
    pg.execute(
        "CREATE TABLE public.big (id int PRIMARY KEY, version int NOT NULL, note text)",
        "INSERT INTO public.big SELECT i, 0, 'row ' || i FROM generate_series(1, " + rows + ") i");
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("on-demand")
            .tables("public.big")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .metrics(metrics)
            .to(sink)
            .start()) {
      Set<String> progressSeen = ConcurrentHashMap.newKeySet();
      Thread updates = new Thread(() -> update(rows, 5_000));

      var snapshot = pipeline.snapshot("public.big").toCompletableFuture();
      updates.start();
      while (!snapshot.isDone()) {
        pipeline.health().snapshot().ifPresent(progressSeen::add);
        if (metrics.get("datis.snapshot.tables.remaining").gauge().value() == 1) {
          progressSeen.add("gauge");
        }
        Thread.sleep(20);
      }
      snapshot.get(1, TimeUnit.SECONDS);
      updates.join();

      Map<Integer, int[]> table = new HashMap<>();
      for (int[] row :
          pg.query(
              "SELECT id, version FROM public.big", r -> new int[] {r.getInt(1), r.getInt(2)})) {
        table.put(row[0], row);
      }
      List<ChangeEvent> events =
          sink.awaitEvents(received -> matches(lastPerKey(received, "public.big"), table), TIMEOUT);

      Map<Integer, Map<String, @Nullable Object>> last = lastPerKey(events, "public.big");
      assertThat(last).hasSize(rows);
      assertThat(versionsGoingBack(events)).as("rows whose version went back").isEmpty();
      assertThat(progressSeen)
          .contains("gauge")
          .anyMatch(text -> text.startsWith("snapshot while streaming: reading public.big ("));
      assertThat(pipeline.health().snapshot()).isEmpty();
      assertThat(metrics.get("datis.snapshot.tables.remaining").gauge().value()).isZero();
    }
  }

  @Test
  void aSnapshotCompletesOnlyOnceTheSinkAcknowledgedItsRows() throws Exception {
    pg.execute(
        "CREATE TABLE public.held (id int PRIMARY KEY)",
        "INSERT INTO public.held SELECT generate_series(1, 10)");
    InMemorySink sink = new InMemorySink().stallAfter(0);
    try (Pipeline pipeline =
        start("held", OffsetStore.inMemory(), SnapshotMode.CHANGES_ONLY, sink, "public.held")) {
      CompletableFuture<Void> snapshot = pipeline.snapshot("public.held").toCompletableFuture();

      // Debezium has read the table (the snapshot is no longer in progress) and the sink holds its
      // rows.
      await()
          .atMost(TIMEOUT)
          .until(() -> sink.stalledBatches() > 0 && pipeline.health().snapshot().isEmpty());
      assertThat(snapshot).isNotDone();

      sink.reset();
      sink.releaseStalled();
      snapshot.get(60, TimeUnit.SECONDS);
      assertThat(sink.events())
          .filteredOn(event -> event.operation() == Operation.SNAPSHOT_READ)
          .hasSize(10);
    }
  }

  @Test
  void aSnapshotCanBeAskedForWhenAnotherCompletes() throws Exception {
    pg.execute(
        "CREATE TABLE public.first (id int PRIMARY KEY)",
        "CREATE TABLE public.second (id int PRIMARY KEY)",
        "INSERT INTO public.first VALUES (1)",
        "INSERT INTO public.second VALUES (1)");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        start(
            "chained",
            OffsetStore.inMemory(),
            SnapshotMode.CHANGES_ONLY,
            sink,
            "public.first",
            "public.second")) {
      CompletableFuture<Void> both =
          pipeline
              .snapshot("public.first")
              .thenCompose(done -> pipeline.snapshot("public.second"))
              .toCompletableFuture();

      both.get(60, TimeUnit.SECONDS);

      assertThat(sink.events())
          .extracting(ChangeEvent::table)
          .containsExactly(TableId.of("public", "first"), TableId.of("public", "second"));
      assertThat(pipeline.isRunning()).isTrue();
    }
  }

  @Test
  void aTableThatCannotBeReadToTheEndStopsThePipelineSayingSo() {
    pg.execute(
        "CREATE TABLE public.doomed (id int PRIMARY KEY, pad text)",
        "INSERT INTO public.doomed SELECT i, repeat('x', 100) FROM generate_series(1, 200000) i");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        start("doomed", OffsetStore.inMemory(), SnapshotMode.CHANGES_ONLY, sink, "public.doomed")) {
      CompletableFuture<Void> snapshot = pipeline.snapshot("public.doomed").toCompletableFuture();
      await()
          .atMost(TIMEOUT)
          .until(() -> pipeline.health().snapshot().orElse("").contains("reading public.doomed"));

      pg.execute("DROP TABLE public.doomed");

      await().atMost(TIMEOUT).until(() -> !pipeline.isRunning());
      assertThat(pipeline.failure().orElseThrow())
          .hasMessageStartingWith(
              "Reading public.doomed again while changes stream failed: Debezium reported ")
          .hasMessageEndingWith(
              " (see its log), so not all of its existing rows were delivered. Fix the cause, start the pipeline"
                  + " again and call Pipeline.snapshot(\"public.doomed\")");
      await().atMost(TIMEOUT).until(snapshot::isDone);
      assertThat(snapshot).isCompletedExceptionally();
    }
  }

  @Test
  void aSignalTableCreatedBeforehandNeedsNoCreatePrivilegeOnTheSchema() {
    pg.execute(
        "CREATE ROLE limited LOGIN PASSWORD 'limited-secret' REPLICATION",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "GRANT CREATE ON DATABASE " + pg.database() + " TO limited",
        "CREATE TABLE public.owned (id int PRIMARY KEY)",
        "ALTER TABLE public.owned OWNER TO limited",
        // As start()'s error tells a DBA to create it:
        "CREATE TABLE public.datis_limited_signals (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data text)",
        "ALTER TABLE public.datis_limited_signals OWNER TO limited");
    io.datis.postgres.PostgresSource limited =
        pg.source().toBuilder().user("limited").password("limited-secret").build();
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(limited)
            .name("limited")
            .tables("public.owned")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      pg.execute("INSERT INTO public.owned VALUES (1)");
      assertThat(sink.awaitEvents(1, TIMEOUT))
          .extracting(ChangeEvent::operation)
          .containsExactly(Operation.INSERT);
    } finally {
      pg.execute("DROP OWNED BY limited CASCADE", "DROP ROLE limited");
    }
  }

  @Test
  void asksForASnapshotOfTablesThePipelineCanReadOnly() {
    pg.execute(
        "CREATE TABLE public.keyed (id int PRIMARY KEY)",
        "CREATE TABLE public.whole (note text)",
        "ALTER TABLE public.whole REPLICA IDENTITY FULL",
        "CREATE TABLE public.other (id int PRIMARY KEY)");
    try (Pipeline pipeline =
        start(
            "refusing",
            OffsetStore.inMemory(),
            SnapshotMode.CHANGES_ONLY,
            new InMemorySink(),
            "public.keyed",
            "public.whole")) {
      assertThatThrownBy(() -> pipeline.snapshot("public.other"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Table public.other is not captured by pipeline 'refusing' (it captures [public.keyed, public.whole]):"
                  + " add it with tables(...) to read it");
      assertThatThrownBy(() -> pipeline.snapshot("public.whole"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "Table public.whole has no key (primary key or replica identity index), which reading it while"
                  + " changes stream needs, to read it in chunks and leave out rows changed meanwhile. Fix: add a"
                  + " primary key");
    }
  }

  @Test
  void aTableRemovedFromTheListLeavesThePublicationAndNothingElseChanges() {
    pg.execute(
        "CREATE TABLE public.a (id int PRIMARY KEY)",
        "CREATE TABLE public.b (id int PRIMARY KEY)",
        "INSERT INTO public.a VALUES (1)",
        "INSERT INTO public.b VALUES (1)");
    OffsetStore offsets = OffsetStore.postgres();
    InMemorySink first = new InMemorySink();
    try (Pipeline pipeline =
        start("shrinking", offsets, SnapshotMode.INITIAL, first, "public.a", "public.b")) {
      first.awaitEvents(2, TIMEOUT); // the snapshot
    }

    InMemorySink second = new InMemorySink();
    try (Pipeline pipeline =
        start("shrinking", offsets, SnapshotMode.INITIAL, second, "public.a")) {
      pg.execute("INSERT INTO public.b VALUES (2)", "INSERT INTO public.a VALUES (2)");

      List<ChangeEvent> events = second.awaitEvents(1, TIMEOUT);

      assertThat(events).extracting(ChangeEvent::table).containsExactly(TableId.of("public", "a"));
      assertThat(events.get(0).operation()).isEqualTo(Operation.INSERT);
      assertThat(
              pg.query(
                  "SELECT tablename FROM pg_publication_tables WHERE pubname = 'datis_shrinking' ORDER BY 1",
                  row -> row.getString(1)))
          .containsExactly("a", "datis_shrinking_signals");
    }
  }

  private static Pipeline start(
      String name, OffsetStore offsets, SnapshotMode mode, InMemorySink sink, String... tables) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(tables)
        .snapshot(mode)
        .offsets(offsets)
        .to(sink)
        .start();
  }

  /** Random updates of random rows, 100 to a transaction, as fast as they go. */
  private static void update(int rows, int count) {
    Random random = new Random(42);
    try (Connection connection = pg.connect();
        Statement statement = connection.createStatement()) {
      connection.setAutoCommit(false);
      for (int i = 1; i <= count; i++) {
        statement.execute(
            "UPDATE public.big SET version = version + 1 WHERE id = " + (1 + random.nextInt(rows)));
        if (i % 100 == 0) {
          connection.commit();
        }
      }
      connection.commit();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean matches(
      Map<Integer, Map<String, @Nullable Object>> last, Map<Integer, int[]> table) {
    if (last.size() != table.size()) {
      return false;
    }
    for (Map.Entry<Integer, int[]> row : table.entrySet()) {
      Map<String, @Nullable Object> event = last.get(row.getKey());
      if (event == null || !Integer.valueOf(row.getValue()[1]).equals(event.get("version"))) {
        return false;
      }
    }
    return true;
  }

  /** Keys whose events' versions went down: a snapshot row delivered after a newer change of it. */
  private static List<String> versionsGoingBack(List<ChangeEvent> events) {
    Map<Integer, Integer> highest = new HashMap<>();
    List<String> back = new java.util.ArrayList<>();
    for (ChangeEvent event : events) {
      Map<String, @Nullable Object> row = event.after().orElseThrow();
      int id = (Integer) row.get("id");
      int version = (Integer) row.get("version");
      Integer previous = highest.put(id, Math.max(version, highest.getOrDefault(id, -1)));
      if (previous != null && version < previous) {
        back.add(
            id
                + ": "
                + event.operation()
                + " of version "
                + version
                + " after version "
                + previous);
      }
    }
    return back;
  }

  /** Per key, the row of the last event of the table (after image; nothing for a delete). */
  private static Map<Integer, Map<String, @Nullable Object>> lastPerKey(
      List<ChangeEvent> events, String table) {
    Map<Integer, Map<String, @Nullable Object>> last = new HashMap<>();
    for (ChangeEvent event : events) {
      if (event.table().toString().equals(table) && event.after().isPresent()) {
        last.put((Integer) event.after().get().get("id"), event.after().get());
      }
    }
    return last;
  }

  private static boolean isRow(ChangeEvent event, String table, int id) {
    return event.table().toString().equals(table)
        && event.after().map(row -> Integer.valueOf(id).equals(row.get("id"))).orElse(false);
  }

  private static ListAppender<ILoggingEvent> listen() {
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    ((Logger) LoggerFactory.getLogger("io.datis.internal.PostgresPreflight")).addAppender(appender);
    return appender;
  }
}
