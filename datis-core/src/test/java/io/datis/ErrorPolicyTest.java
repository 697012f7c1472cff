package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.api.SinkException;
import io.datis.api.TransformException;
import io.datis.api.UndeliverableEventException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import io.datis.api.sink.DeadLetterSink;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A poison event (id 13) among 30 rows, under each error policy, failing in a transform or in the
 * sink. Every other row must arrive, in order.
 */
class ErrorPolicyTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int POISON = 13;
  private static final List<Integer> ALL_BUT_POISON =
      IntStream.rangeClosed(1, 30).filter(id -> id != POISON).boxed().toList();

  @TempDir Path offsetsDir;

  private final InMemorySink sink = new InMemorySink();
  private final RecordingDeadLetters deadLetters = new RecordingDeadLetters();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeEach
  void createTable() {
    pg.execute("CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL)");
  }

  @Test
  void failStopsAtAPoisonTransformNamingItsPosition() {
    Pipeline pipeline = pipeline(ErrorPolicy.fail(), new FailsOnPoison(), sink).start();
    try (pipeline) {
      insertThirtyRowsInThreeTransactions();

      await().atMost(TIMEOUT).until(() -> pipeline.failure().isPresent());
    }
    Throwable failure = pipeline.failure().orElseThrow();
    assertThat(failure)
        .isInstanceOf(TransformException.class)
        .hasMessageStartingWith(
            "Transform #1 'fails-on-13' failed on INSERT of public.orders at lsn ")
        .hasMessageNotContaining("item-13");
    assertThat(ids(sink.events())).doesNotContain(POISON).allMatch(id -> id < POISON);
  }

  @Test
  void skipCountsThePoisonTransformEventAndCommitsPastIt() {
    Path offsets = offsetsDir.resolve("skip.offsets");
    try (Pipeline pipeline =
        pipeline(ErrorPolicy.skip(), new FailsOnPoison(), sink)
            .offsets(OffsetStore.file(offsets))
            .start()) {
      insertThirtyRowsInThreeTransactions();

      sink.awaitEvents(29, TIMEOUT);
      assertThat(pipeline.health().status()).isEqualTo(Health.Status.UP);
    }
    assertThat(ids(sink.events())).containsExactlyElementsOf(ALL_BUT_POISON);
    assertThat(registry.get("datis.events.skipped").tag("table", "public.orders").counter().count())
        .isEqualTo(1.0);

    InMemorySink afterRestart = new InMemorySink();
    try (Pipeline restarted =
        pipeline(ErrorPolicy.skip(), new FailsOnPoison(), afterRestart)
            .offsets(OffsetStore.file(offsets))
            .start()) {
      pg.execute("INSERT INTO orders VALUES (31, 'item-31')");
      assertThat(ids(afterRestart.awaitEvents(1, TIMEOUT)))
          .as("nothing before the skipped event, nor the event itself, is delivered again")
          .containsExactly(31);
    }
  }

  @Test
  void deadLetterReceivesThePoisonTransformEventAsCapturedWithTheReason() {
    try (Pipeline pipeline =
        pipeline(ErrorPolicy.deadLetter(deadLetters), new FailsOnPoison(), sink).start()) {
      insertThirtyRowsInThreeTransactions();

      sink.awaitEvents(29, TIMEOUT);
      await().atMost(TIMEOUT).until(() -> deadLetters.letters.size() == 1);
    }
    assertThat(ids(sink.events())).containsExactlyElementsOf(ALL_BUT_POISON);
    DeadLetter letter = deadLetters.letters.get(0);
    assertThat(letter.stage()).isEqualTo(DeadLetter.Stage.TRANSFORM);
    assertThat(letter.event().after().orElseThrow())
        .containsEntry("id", POISON)
        .containsEntry("item", "item-13");
    assertThat(letter.errorType()).isEqualTo(TransformException.class.getName());
    assertThat(letter.reason())
        .startsWith("Transform #1 'fails-on-13' failed on INSERT of public.orders at lsn ");
    assertThat(deadLetters.opened).isTrue();
    assertThat(deadLetters.closed).isTrue();
    assertThat(registry.get("datis.events.dead.lettered").counter().count()).isEqualTo(1.0);
  }

  @Test
  void skipTakesAnEventTheSinkCannotDeliverOutAndDeliversTheRestOfItsBatchInOrder() {
    RejectsPoison rejecting = new RejectsPoison(sink);
    try (Pipeline pipeline = pipeline(ErrorPolicy.skip(), null, rejecting).start()) {
      insertThirtyRowsInThreeTransactions();

      sink.awaitEvents(29, TIMEOUT);
      assertThat(pipeline.isRunning()).isTrue();
    }
    assertThat(ids(sink.events())).containsExactlyElementsOf(ALL_BUT_POISON);
    assertThat(rejecting.rejected).isEqualTo(1);
  }

  @Test
  void deadLetterReceivesAnEventTheSinkCannotDeliver() {
    try (Pipeline pipeline =
        pipeline(ErrorPolicy.deadLetter(deadLetters), null, new RejectsPoison(sink)).start()) {
      insertThirtyRowsInThreeTransactions();

      sink.awaitEvents(29, TIMEOUT);
      await().atMost(TIMEOUT).until(() -> deadLetters.letters.size() == 1);
    }
    assertThat(ids(sink.events())).containsExactlyElementsOf(ALL_BUT_POISON);
    DeadLetter letter = deadLetters.letters.get(0);
    assertThat(letter.stage()).isEqualTo(DeadLetter.Stage.SINK);
    assertThat(letter.event().after().orElseThrow()).containsEntry("id", POISON);
    assertThat(letter.reason()).isEqualTo("order 13 is too large for the destination");
    assertThat(letter.errorType()).isEqualTo(UndeliverableEventException.class.getName());
  }

  @Test
  void failStopsAtAnEventTheSinkCannotDeliver() {
    Pipeline pipeline = pipeline(ErrorPolicy.fail(), null, new RejectsPoison(sink)).start();
    try (pipeline) {
      insertThirtyRowsInThreeTransactions();

      await().atMost(TIMEOUT).until(() -> pipeline.failure().isPresent());
    }
    assertThat(pipeline.failure().orElseThrow())
        .isInstanceOf(SinkException.class)
        .hasMessageContaining("order 13 is too large for the destination")
        .hasCauseInstanceOf(UndeliverableEventException.class);
    assertThat(ids(sink.events())).doesNotContain(POISON);
  }

  @Test
  void aDeadLetterSinkThatFailsStopsThePipelineAndCommitsNothingFromThePoisonOn() {
    DeadLetterSink broken =
        letter -> CompletableFuture.failedFuture(new IllegalStateException("disk full"));
    Path offsets = offsetsDir.resolve("broken.offsets");
    Pipeline pipeline =
        pipeline(ErrorPolicy.deadLetter(broken), new FailsOnPoison(), sink)
            .offsets(OffsetStore.file(offsets))
            .start();
    try (pipeline) {
      insertThirtyRowsInThreeTransactions();

      await().atMost(TIMEOUT).until(() -> pipeline.failure().isPresent());
    }
    assertThat(pipeline.failure().orElseThrow())
        .isInstanceOf(SinkException.class)
        .hasMessageContaining("failed to store the INSERT of public.orders at lsn ")
        .hasMessageContaining("java.lang.IllegalStateException: disk full")
        .hasMessageEndingWith(
            "Nothing from this event on was committed: it is processed again when the pipeline restarts");

    try (Pipeline restarted =
        pipeline(ErrorPolicy.deadLetter(deadLetters), new FailsOnPoison(), sink)
            .offsets(OffsetStore.file(offsets))
            .start()) {
      await().atMost(TIMEOUT).until(() -> deadLetters.letters.size() == 1);
      await().atMost(TIMEOUT).until(() -> ids(sink.events()).containsAll(ALL_BUT_POISON));
    }
  }

  private PipelineBuilder pipeline(ErrorPolicy policy, Transform transform, Sink target) {
    PipelineBuilder builder =
        Datis.capture(pg.source())
            .name("poison")
            .tables("public.orders")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .metrics(registry)
            .errorPolicy(policy)
            .to(target);
    return transform == null ? builder : builder.transform(transform);
  }

  /** Rows 1-10, 11-20 (with the poison) and 21-30, each ten in one transaction. */
  private static void insertThirtyRowsInThreeTransactions() {
    for (int first = 1; first <= 21; first += 10) {
      pg.execute(
          "INSERT INTO orders SELECT i, 'item-' || i FROM generate_series("
              + first
              + ", "
              + (first + 9)
              + ") i");
    }
  }

  private static List<Integer> ids(List<ChangeEvent> events) {
    return events.stream().map(event -> (Integer) event.after().orElseThrow().get("id")).toList();
  }

  private static boolean isPoison(ChangeEvent event) {
    return event.after().map(row -> row.get("id")).filter(id -> id.equals(POISON)).isPresent();
  }

  private static final class FailsOnPoison implements Transform {
    @Override
    public TransformResult apply(ChangeEvent event) {
      if (isPoison(event)) {
        throw new IllegalArgumentException("cannot parse item-13");
      }
      return TransformResult.keep();
    }

    @Override
    public String name() {
      return "fails-on-13";
    }
  }

  /**
   * Refuses, at once, any batch holding the poison, as a sink does with a message over its limit.
   */
  private static final class RejectsPoison implements Sink {
    private final Sink delegate;
    volatile int rejected;

    RejectsPoison(Sink delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
      for (ChangeEvent event : batch) {
        if (isPoison(event)) {
          rejected++;
          throw new UndeliverableEventException(
              "order 13 is too large for the destination", event.table(), event.position(), null);
        }
      }
      return delegate.deliver(batch);
    }
  }

  private static final class RecordingDeadLetters implements DeadLetterSink {
    final List<DeadLetter> letters = new CopyOnWriteArrayList<>();
    volatile boolean opened;
    volatile boolean closed;

    @Override
    public void open(io.datis.api.sink.SinkContext context) {
      opened = true;
    }

    @Override
    public CompletionStage<Void> deliver(DeadLetter letter) {
      letters.add(letter);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
