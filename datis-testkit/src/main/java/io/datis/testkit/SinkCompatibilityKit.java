package io.datis.testkit;

import static io.datis.testkit.internal.KitEvents.CUSTOMERS;
import static io.datis.testkit.internal.KitEvents.ORDERS;
import static io.datis.testkit.internal.KitEvents.everyValueType;
import static io.datis.testkit.internal.KitEvents.flatten;
import static io.datis.testkit.internal.KitEvents.generated;
import static io.datis.testkit.internal.KitEvents.rowChanges;
import static io.datis.testkit.internal.KitEvents.split;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.sink.Sink;
import io.datis.api.sink.SinkContext;
import io.datis.testkit.internal.EventText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The tests every {@link Sink} should pass: extend this class in your sink's test sources, say how
 * to create a sink and how to read back what its destination holds, and the kit's tests check the
 * contract written in {@link Sink}'s Javadoc against your real destination (or a local stand-in).
 *
 * <pre>{@code
 * class FileSinkCompatibilityTest extends SinkCompatibilityKit {
 *   @TempDir Path dir;
 *
 *   @Override
 *   protected Sink createSink() {
 *     return new FileSink(dir.resolve("events.jsonl"));
 *   }
 *
 *   @Override
 *   protected List<DeliveredEvent> delivered() throws IOException {
 *     return FileSinkReader.read(dir.resolve("events.jsonl")).stream()
 *         .map(DeliveredEvent::of) // or DeliveredEvent.of(table, operation, position, key)
 *         .toList();
 *   }
 *
 *   @Override
 *   protected void makeDestinationFail() throws IOException {
 *     Files.setPosixFilePermissions(dir, Set.of()); // optional: skipped when not overridden
 *   }
 * }
 * }</pre>
 *
 * <h2>What the kit checks</h2>
 *
 * <ul>
 *   <li><b>Completion means delivered</b>: right after a batch's stage completes, {@link
 *       #delivered()} holds every event of the batch. A sink that completes first and delivers
 *       later fails this.
 *   <li><b>Several batches in flight</b>: batches delivered without waiting all complete (in any
 *       order, on any thread) and all their events are delivered.
 *   <li><b>Per-key order</b>: the changes of each row, spread over batches delivered one after
 *       another without waiting, reach the destination in commit order (events delivered twice are
 *       allowed; skipped when {@link #destinationKeepsOrder()} is false).
 *   <li><b>Failure</b>: when the destination rejects deliveries ({@link #makeDestinationFail()}),
 *       the batch's stage completes exceptionally (or {@code deliver} throws), and never normally.
 *   <li><b>Close</b>: {@code close()} with batches outstanding returns, and a stage that completes
 *       normally, before or after, has all its events delivered.
 *   <li><b>Lifecycle</b>: open, deliver, close; a batch delivered again (as after a restart) is
 *       accepted; a batch of 2,000 events is delivered.
 *   <li><b>Values</b>: events with every value type Datis emits (huge numerics, Unicode, NaN,
 *       infinite timestamps, arrays with nulls, unchanged TOASTed columns...), empty row images,
 *       truncates and key-only deletes, and a sample from {@link ChangeEventArbitraries}, are
 *       delivered.
 * </ul>
 *
 * <p>Each test calls {@link #createSink()} once, opens the sink with {@link #sinkContext()} and
 * closes it at the end. The events use the tables {@code datis_kit.orders}, {@code
 * datis_kit.customers} and {@code datis_kit.values}, plus generated ones, and carry no destination,
 * so the sink's default destination receives all of them. Each event has a position of its own.
 */
public abstract class SinkCompatibilityKit {

  private @Nullable Sink sink;
  private boolean closed;

  /** Creates the kit; subclasses are JUnit 5 test classes. */
  protected SinkCompatibilityKit() {}

  /**
   * A new sink, not opened yet, delivering to a destination that {@link #delivered()} reads: best a
   * fresh one (a new topic, table, file...) for each call. Called once per test.
   */
  protected abstract Sink createSink() throws Exception;

  /**
   * Reads back what the destination of the sink created last durably holds now, one entry per
   * delivered event, duplicates included, in the order the destination keeps them (at least per
   * row). Called right after stages complete: it must see every acknowledged delivery.
   */
  protected abstract List<DeliveredEvent> delivered() throws Exception;

  /**
   * Makes the destination of the sink created last reject every later delivery with an error the
   * sink does not retry (such as a permission error). Called after the sink is opened. The default
   * throws {@link UnsupportedOperationException}, which skips the failure test with a reason.
   */
  protected void makeDestinationFail() throws Exception {
    throw new UnsupportedOperationException();
  }

  /**
   * Whether the destination keeps the order of each row's changes (for example a Pub/Sub topic with
   * ordering keys). When false, the per-key order test is skipped. Default true.
   */
  protected boolean destinationKeepsOrder() {
    return true;
  }

  /**
   * The context the sink is opened with. Default: pipeline {@code datis-kit}, database {@code kit}.
   */
  protected SinkContext sinkContext() {
    return new SinkContext() {
      @Override
      public String pipelineName() {
        return "datis-kit";
      }

      @Override
      public String database() {
        return "kit";
      }
    };
  }

  /** How long a batch may take to complete. Default 30 seconds. */
  protected Duration timeout() {
    return Duration.ofSeconds(30);
  }

  // ------------------------------------------------------------------ tests

  /** A completed stage means every event of the batch is in the destination, at once. */
  @Test
  public void completesABatchOnlyOnceEveryEventIsDelivered() throws Exception {
    Sink sink = openSink();
    List<ChangeEvent> batch = rowChanges(ORDERS, 10, 2);

    await(sink.deliver(batch), "a batch of " + batch.size() + " events");

    assertDelivered(batch, "right after the stage of its batch completed");
  }

  /**
   * Batches delivered without waiting all complete, in any order, and all of them are delivered.
   */
  @Test
  public void completesEveryBatchWhenSeveralAreInFlight() throws Exception {
    Sink sink = openSink();
    List<List<ChangeEvent>> batches = split(rowChanges(CUSTOMERS, 64, 3), 24);

    List<CompletionStage<Void>> stages = new ArrayList<>();
    for (List<ChangeEvent> batch : batches) {
      stages.add(sink.deliver(batch));
    }
    for (int i = 0; i < stages.size(); i++) {
      await(stages.get(i), "batch " + (i + 1) + " of " + stages.size() + " in flight");
    }

    assertDelivered(
        flatten(batches),
        "after the stages of all " + batches.size() + " batches in flight completed");
  }

  /** The changes of each row keep their commit order across batches in flight. */
  @Test
  public void keepsPerKeyOrderAcrossBatchesInFlight() throws Exception {
    Assumptions.assumeTrue(
        destinationKeepsOrder(),
        () ->
            getClass().getSimpleName()
                + ": destinationKeepsOrder() is false, so order is not checked");
    Sink sink = openSink();
    List<ChangeEvent> changes = rowChanges(ORDERS, 12, 6);
    List<List<ChangeEvent>> batches = split(changes, 5);

    List<CompletionStage<Void>> stages = new ArrayList<>();
    for (List<ChangeEvent> batch : batches) {
      stages.add(sink.deliver(batch));
    }
    for (int i = 0; i < stages.size(); i++) {
      await(stages.get(i), "batch " + (i + 1) + " of " + stages.size() + " in flight");
    }

    List<DeliveredEvent> delivered = readDelivered();
    assertDelivered(changes, delivered, "after all batches completed");
    Map<List<Object>, List<Position>> sentByRow = positionsByRow(DeliveredEvent.allOf(changes));
    Map<List<Object>, List<Position>> deliveredByRow = positionsByRow(delivered);
    for (Map.Entry<List<Object>, List<Position>> row : sentByRow.entrySet()) {
      List<Position> got = firstOccurrences(deliveredByRow.getOrDefault(row.getKey(), List.of()));
      got.retainAll(row.getValue());
      if (!got.equals(row.getValue())) {
        Assertions.fail(
            sinkName()
                + " changed the order of the changes of row "
                + row.getKey()
                + ": they were delivered in commit order "
                + row.getValue()
                + " (in "
                + batches.size()
                + " batches in flight), but the destination holds them in the order "
                + got
                + ". A sink that delivers batches concurrently must keep each row's changes in"
                + " order");
      }
    }
  }

  /** A destination that rejects deliveries makes the stage fail, never complete normally. */
  @Test
  public void failsTheBatchWhenTheDestinationRejectsIt() throws Exception {
    Sink sink = openSink();
    try {
      makeDestinationFail();
    } catch (UnsupportedOperationException e) {
      Assumptions.abort(
          getClass().getSimpleName()
              + " does not override makeDestinationFail(), so failure signalling is not checked");
    }
    List<ChangeEvent> batch = rowChanges(ORDERS, 3, 1);

    CompletionStage<Void> stage;
    try {
      stage = sink.deliver(batch);
    } catch (RuntimeException thrown) {
      return; // throwing from deliver is a valid way to signal failure
    }
    CompletableFuture<Void> future = stage.toCompletableFuture();
    try {
      future.get(timeout().toMillis(), TimeUnit.MILLISECONDS);
      Assertions.fail(
          sinkName()
              + " completed the stage of a batch of "
              + batch.size()
              + " events normally although the destination rejects every delivery: a stage must"
              + " complete exceptionally when its batch cannot be delivered");
    } catch (ExecutionException expected) {
      // the failure was signalled
    } catch (TimeoutException e) {
      Assertions.fail(
          sinkName()
              + " neither completed nor failed the stage of a batch within "
              + timeout()
              + " while the destination rejects every delivery: the stage must complete"
              + " exceptionally, so that the pipeline stops and redelivers after a restart");
    }
  }

  /** Closing with batches outstanding never reports undelivered events as delivered. */
  @Test
  public void neverReportsUndeliveredEventsAsDeliveredWhenClosedWithBatchesOutstanding()
      throws Exception {
    Sink sink = openSink();
    List<List<ChangeEvent>> batches = split(rowChanges(CUSTOMERS, 40, 2), 10);
    List<CompletableFuture<Void>> stages = new ArrayList<>();
    for (List<ChangeEvent> batch : batches) {
      stages.add(sink.deliver(batch).toCompletableFuture());
    }

    Assertions.assertTimeoutPreemptively(
        timeout().plusSeconds(10),
        this::closeSink,
        () -> sinkName() + ".close() did not return within " + timeout().plusSeconds(10));

    // Stages may still complete after close: give them a moment, then check those that did.
    long deadline = System.nanoTime() + Math.min(timeout().toNanos(), TimeUnit.SECONDS.toNanos(2));
    for (CompletableFuture<Void> stage : stages) {
      long left = deadline - System.nanoTime();
      try {
        stage.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException ignored) {
        // failed or left unacknowledged: both allowed after close
      }
    }
    List<ChangeEvent> reported = new ArrayList<>();
    for (int i = 0; i < stages.size(); i++) {
      CompletableFuture<Void> stage = stages.get(i);
      if (stage.isDone() && !stage.isCompletedExceptionally()) {
        reported.addAll(batches.get(i));
      }
    }
    assertDelivered(reported, "after close(), for the batches whose stages completed normally");
  }

  /** Open, deliver one event, close. */
  @Test
  public void opensDeliversAndCloses() throws Exception {
    Sink sink = openSink();
    List<ChangeEvent> batch =
        List.of(
            ChangeEvents.insert(ORDERS.toString()).key("id", 1L).column("status", "new").build());

    CompletionStage<Void> stage = sink.deliver(batch);
    Assertions.assertNotNull(
        stage, () -> sinkName() + ".deliver returned null instead of a CompletionStage");
    await(stage, "a batch of one event");
    assertDelivered(batch, "right after the stage of its batch completed");

    closeSink();
  }

  /**
   * Opened again after close, as when its pipeline becomes the active instance among replicas a
   * second time, the sink delivers as it did the first time.
   */
  @Test
  public void opensAgainAfterClose() throws Exception {
    Sink sink = openSink();
    List<ChangeEvent> first = rowChanges(ORDERS, 3, 1);
    await(sink.deliver(first), "a batch before close()");
    closeSink();

    sink.open(sinkContext());
    closed = false;
    List<ChangeEvent> second =
        List.of(
            ChangeEvents.insert(ORDERS.toString()).key("id", 99L).column("status", "new").build());
    await(sink.deliver(second), "a batch after the sink was opened again");

    assertDelivered(second, "after the sink was closed and opened again");
  }

  /** A batch delivered again, as after a restart, is accepted: delivery is at least once. */
  @Test
  public void acceptsABatchDeliveredAgain() throws Exception {
    Sink sink = openSink();
    List<ChangeEvent> batch = rowChanges(ORDERS, 5, 2);

    await(sink.deliver(batch), "a batch of " + batch.size() + " events");
    await(sink.deliver(batch), "the same batch delivered again");

    assertDelivered(batch, "after the batch was delivered twice");
  }

  /** A batch of 2,000 events is delivered. */
  @Test
  public void deliversALargeBatch() throws Exception {
    Sink sink = openSink();
    List<ChangeEvent> batch = rowChanges(CUSTOMERS, 1000, 2);

    await(sink.deliver(batch), "a batch of " + batch.size() + " events");

    assertDelivered(batch, "right after the stage of its batch completed");
  }

  /** Every value type, empty images, truncates, key-only deletes and unchanged columns. */
  @Test
  public void deliversEveryValueTypeAndEmptyImages() throws Exception {
    Sink sink = openSink();
    List<ChangeEvent> batch = everyValueType();

    await(sink.deliver(batch), "a batch of events with every value type");

    assertDelivered(batch, "right after the stage of its batch completed");
  }

  /** A sample of generated events of every operation, from {@link ChangeEventArbitraries}. */
  @Test
  public void deliversGeneratedEventsOfEveryOperation() throws Exception {
    Sink sink = openSink();
    List<ChangeEvent> batch = generated(60);

    await(sink.deliver(batch), "a batch of " + batch.size() + " generated events");

    assertDelivered(batch, "right after the stage of its batch completed");
  }

  // ------------------------------------------------------------------ helpers

  /** Closes the sink of the current test, if it is open. */
  @AfterEach
  public void closeSink() throws Exception {
    Sink open = sink;
    if (open != null && !closed) {
      closed = true;
      open.close();
    }
  }

  private Sink openSink() throws Exception {
    Sink created = createSink();
    Assertions.assertNotNull(
        created, () -> getClass().getSimpleName() + ".createSink() returned null");
    sink = created;
    closed = false;
    created.open(sinkContext());
    return created;
  }

  private String sinkName() {
    Sink current = sink;
    if (current == null) {
      return "The sink";
    }
    Class<?> type = current.getClass();
    boolean unnamed = type.isAnonymousClass() || type.isSynthetic() || type.isHidden();
    return unnamed ? getClass().getSimpleName() : type.getSimpleName();
  }

  private void await(@Nullable CompletionStage<Void> stage, String what)
      throws InterruptedException {
    Assertions.assertNotNull(
        stage, () -> sinkName() + ".deliver returned null instead of a CompletionStage");
    try {
      stage.toCompletableFuture().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError(
          sinkName() + " failed to deliver " + what + " to a working destination: " + e.getCause(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError(
          sinkName() + " did not complete the stage of " + what + " within " + timeout());
    }
  }

  private List<DeliveredEvent> readDelivered() throws Exception {
    List<DeliveredEvent> delivered = delivered();
    Assertions.assertNotNull(
        delivered, () -> getClass().getSimpleName() + ".delivered() returned null");
    return delivered;
  }

  private void assertDelivered(List<ChangeEvent> sent, String when) throws Exception {
    assertDelivered(sent, readDelivered(), when);
  }

  private void assertDelivered(
      List<ChangeEvent> sent, List<DeliveredEvent> delivered, String when) {
    Set<DeliveredEvent> held = new HashSet<>(delivered);
    List<ChangeEvent> missing = new ArrayList<>();
    for (ChangeEvent event : sent) {
      if (!held.contains(DeliveredEvent.of(event))) {
        missing.add(event);
      }
    }
    if (!missing.isEmpty()) {
      Assertions.fail(
          "The destination of "
              + sinkName()
              + " lacks "
              + missing.size()
              + " of "
              + sent.size()
              + " events "
              + when
              + " (completion must mean delivered):"
              + EventText.describe(missing));
    }
  }

  private static Map<List<Object>, List<Position>> positionsByRow(List<DeliveredEvent> events) {
    Map<List<Object>, List<Position>> rows = new LinkedHashMap<>();
    for (DeliveredEvent event : events) {
      if (!event.key().isEmpty()) {
        rows.computeIfAbsent(List.of(event.table(), event.key()), row -> new ArrayList<>())
            .add(event.position());
      }
    }
    return rows;
  }

  private static List<Position> firstOccurrences(List<Position> positions) {
    return new ArrayList<>(new LinkedHashSet<>(positions));
  }

  /**
   * What the destination holds for one event, as far as the kit compares it: table, operation,
   * position and key. Key values are compared as text, {@code String.valueOf(value)}: the kit's
   * events have keys of type Integer, Long, String and UUID only, whose JSON text is the same.
   *
   * <pre>{@code
   * DeliveredEvent.of(event); // from a ChangeEvent the destination gave back
   * DeliveredEvent.of(TableId.parse("datis_kit.orders"), Operation.INSERT,
   *     Position.of(lsn, txId, sequence), Map.of("id", "10"));
   * }</pre>
   */
  public static final class DeliveredEvent {
    private final TableId table;
    private final Operation operation;
    private final Position position;
    private final Map<String, String> key;

    private DeliveredEvent(
        TableId table, Operation operation, Position position, Map<String, String> key) {
      this.table = table;
      this.operation = operation;
      this.position = position;
      this.key = key;
    }

    /**
     * A delivered event.
     *
     * @param key the key column names and their values as text, in key order; empty for truncates
     *     and tables without a key
     */
    public static DeliveredEvent of(
        TableId table, Operation operation, Position position, Map<String, String> key) {
      return new DeliveredEvent(
          Objects.requireNonNull(table, "table"),
          Objects.requireNonNull(operation, "operation"),
          Objects.requireNonNull(position, "position"),
          Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(key, "key"))));
    }

    /** The delivered form of an event: its table, operation, position and key as text. */
    public static DeliveredEvent of(ChangeEvent event) {
      Map<String, String> key = new LinkedHashMap<>();
      event.key().forEach((column, value) -> key.put(column, String.valueOf(value)));
      return of(event.table(), event.operation(), event.position(), key);
    }

    static List<DeliveredEvent> allOf(List<ChangeEvent> events) {
      List<DeliveredEvent> delivered = new ArrayList<>(events.size());
      events.forEach(event -> delivered.add(of(event)));
      return delivered;
    }

    /** The table. */
    public TableId table() {
      return table;
    }

    /** The operation. */
    public Operation operation() {
      return operation;
    }

    /** The position. */
    public Position position() {
      return position;
    }

    /** The key column names and their values as text. */
    public Map<String, String> key() {
      return key;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      if (!(o instanceof DeliveredEvent)) {
        return false;
      }
      DeliveredEvent that = (DeliveredEvent) o;
      return table.equals(that.table)
          && operation == that.operation
          && position.equals(that.position)
          && key.equals(that.key);
    }

    @Override
    public int hashCode() {
      return Objects.hash(table, operation, position, key);
    }

    /** For example {@code INSERT datis_kit.orders key {id=10} at lsn 0/A0 tx 10 #1}. */
    @Override
    public String toString() {
      return operation + " " + table + (key.isEmpty() ? "" : " key " + key) + " at " + position;
    }
  }
}
