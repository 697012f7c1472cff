package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.TableId;
import io.datis.api.sink.Sink;
import io.datis.testkit.internal.EventText;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@link io.datis.api.sink.Sink} for tests: it records every batch it acknowledges and lets a
 * test wait for events and script failures, stalls and delays of the next batches, to test
 * redelivery.
 *
 * <pre>{@code
 * InMemorySink sink = new InMemorySink();
 * try (Pipeline pipeline = Datis.capture(pg.source()).tables("public.orders").to(sink).start()) {
 *   pg.execute("INSERT INTO orders VALUES (1, 'new')", "UPDATE orders SET status = 'paid'");
 *   List<ChangeEvent> events = sink.awaitEvents(2, Duration.ofSeconds(10));
 *   List<ChangeEvent> updates =
 *       sink.awaitEvents("public.orders", Operation.UPDATE, 1, Duration.ofSeconds(10));
 * }
 * sink.failNext(2);        // the next two batches fail
 * sink.stallNext(1);       // the next batch is held, never acknowledged, until releaseStalled()
 * sink.failAfter(3);       // acknowledge three more batches, then fail every later one
 * }</pre>
 *
 * <p>{@link #events()} holds only acknowledged events, in delivery order, duplicates included. A
 * sink can serve several pipelines one after another; {@link #close()} keeps what was recorded.
 */
public final class InMemorySink implements Sink {

  private enum Behaviour {
    ACCEPT,
    FAIL,
    STALL,
    DELAY
  }

  private final Object lock = new Object();
  private final List<List<ChangeEvent>> acknowledged = new ArrayList<>();
  private final List<ChangeEvent> events = new ArrayList<>();
  private final Deque<Behaviour> script = new ArrayDeque<>();
  private final List<Stalled> stalled = new ArrayList<>();
  private Behaviour afterScript = Behaviour.ACCEPT;
  private Duration delay = Duration.ZERO;
  private int deliveries;

  /** Creates an empty sink that acknowledges every batch at once. */
  public InMemorySink() {}

  @Override
  public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
    Objects.requireNonNull(batch, "batch");
    Behaviour behaviour;
    synchronized (lock) {
      deliveries++;
      behaviour = script.isEmpty() ? afterScript : script.removeFirst();
    }
    switch (behaviour) {
      case FAIL:
        return CompletableFuture.failedFuture(
            new IOException(
                "InMemorySink: scripted failure of a batch of " + batch.size() + " events"));
      case STALL:
        CompletableFuture<Void> held = new CompletableFuture<>();
        synchronized (lock) {
          stalled.add(new Stalled(batch, held));
        }
        return held;
      case DELAY:
        Executor later = CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS);
        return CompletableFuture.runAsync(() -> record(batch), later);
      default:
        record(batch);
        return CompletableFuture.completedFuture(null);
    }
  }

  private void record(List<ChangeEvent> batch) {
    synchronized (lock) {
      acknowledged.add(List.copyOf(batch));
      events.addAll(batch);
      lock.notifyAll();
    }
  }

  /**
   * The next {@code batches} batches fail (their stages complete exceptionally with an
   * IOException).
   */
  public InMemorySink failNext(int batches) {
    return scriptNext(batches, Behaviour.FAIL);
  }

  /** The next {@code batches} batches are held unacknowledged until {@link #releaseStalled()}. */
  public InMemorySink stallNext(int batches) {
    return scriptNext(batches, Behaviour.STALL);
  }

  /**
   * The next {@code batches} batches are acknowledged only after {@code delay}, from another
   * thread.
   */
  public InMemorySink delayNext(int batches, Duration delay) {
    synchronized (lock) {
      this.delay = Objects.requireNonNull(delay, "delay");
    }
    return scriptNext(batches, Behaviour.DELAY);
  }

  /**
   * Acknowledges {@code batches} more batches, then fails every later batch (until {@link
   * #reset()}).
   */
  public InMemorySink failAfter(int batches) {
    return acceptThen(batches, Behaviour.FAIL);
  }

  /** Acknowledges {@code batches} more batches, then holds every later batch unacknowledged. */
  public InMemorySink stallAfter(int batches) {
    return acceptThen(batches, Behaviour.STALL);
  }

  private InMemorySink acceptThen(int batches, Behaviour then) {
    requireNotNegative(batches);
    synchronized (lock) {
      script.clear();
      for (int i = 0; i < batches; i++) {
        script.add(Behaviour.ACCEPT);
      }
      afterScript = then;
    }
    return this;
  }

  /**
   * Acknowledges every batch held by a stall, in the order received. Returns how many there were.
   */
  public int releaseStalled() {
    List<Stalled> released;
    synchronized (lock) {
      released = new ArrayList<>(stalled);
      stalled.clear();
    }
    for (Stalled batch : released) {
      record(batch.events);
      batch.stage.complete(null);
    }
    return released.size();
  }

  /** Forgets the script (every later batch is acknowledged at once); recorded events are kept. */
  public InMemorySink reset() {
    synchronized (lock) {
      script.clear();
      afterScript = Behaviour.ACCEPT;
    }
    return this;
  }

  /** Forgets every recorded event and batch. */
  public void clear() {
    synchronized (lock) {
      acknowledged.clear();
      events.clear();
    }
  }

  /** Every acknowledged event so far, in delivery order, duplicates included. */
  public List<ChangeEvent> events() {
    synchronized (lock) {
      return List.copyOf(events);
    }
  }

  /**
   * The acknowledged events of one table so far, in delivery order, duplicates included.
   *
   * @param table a schema-qualified name such as {@code public.orders}
   * @throws IllegalArgumentException if the name is not schema-qualified
   */
  public List<ChangeEvent> events(String table) {
    TableId id = TableId.parse(table);
    return events().stream().filter(event -> event.table().equals(id)).toList();
  }

  /** Every acknowledged batch so far, in acknowledgement order. */
  public List<List<ChangeEvent>> batches() {
    synchronized (lock) {
      return List.copyOf(acknowledged);
    }
  }

  /** The number of batches that were handed to this sink, whatever happened to them. */
  public int deliveries() {
    synchronized (lock) {
      return deliveries;
    }
  }

  /** The number of batches held unacknowledged by a stall. */
  public int stalledBatches() {
    synchronized (lock) {
      return stalled.size();
    }
  }

  /**
   * Waits until at least {@code count} events have been acknowledged and returns all of them.
   *
   * @throws AssertionError if fewer arrived within the timeout, saying how many did
   */
  public List<ChangeEvent> awaitEvents(int count, Duration timeout) {
    return awaitUntil(
        received -> received.size() >= count, timeout, "at least " + count + " events");
  }

  /**
   * Waits until at least {@code count} events of {@code table} have been acknowledged and returns
   * that table's events, in delivery order.
   *
   * @param table a schema-qualified name such as {@code public.orders}
   * @throws IllegalArgumentException if the name is not schema-qualified
   * @throws AssertionError if fewer arrived within the timeout, saying how many did
   */
  public List<ChangeEvent> awaitEvents(String table, int count, Duration timeout) {
    TableId id = TableId.parse(table);
    return awaitMatching(event -> event.table().equals(id), count, timeout, "events of " + id);
  }

  /**
   * Waits until at least {@code count} events of {@code table} with this operation have been
   * acknowledged and returns those events, in delivery order.
   *
   * <pre>{@code
   * ChangeEvent update = sink.awaitEvents("public.orders", Operation.UPDATE, 1, timeout).get(0);
   * }</pre>
   *
   * @param table a schema-qualified name such as {@code public.orders}
   * @throws IllegalArgumentException if the name is not schema-qualified
   * @throws AssertionError if fewer arrived within the timeout, saying how many did
   */
  public List<ChangeEvent> awaitEvents(
      String table, Operation operation, int count, Duration timeout) {
    TableId id = TableId.parse(table);
    Objects.requireNonNull(operation, "operation");
    return awaitMatching(
        event -> event.table().equals(id) && event.operation() == operation,
        count,
        timeout,
        operation + " events of " + id);
  }

  private List<ChangeEvent> awaitMatching(
      Predicate<ChangeEvent> matches, int count, Duration timeout, String what) {
    Objects.requireNonNull(timeout, "timeout");
    try {
      return awaitUntil(
              received -> received.stream().filter(matches).count() >= count, timeout, what)
          .stream()
          .filter(matches)
          .toList();
    } catch (AssertionError timedOut) {
      List<ChangeEvent> all = events();
      List<ChangeEvent> matching = all.stream().filter(matches).toList();
      throw new AssertionError(
          "InMemorySink did not receive "
              + count
              + " "
              + what
              + " within "
              + timeout
              + ": it has "
              + matching.size()
              + " of them and "
              + (all.size() - matching.size())
              + " other events"
              + (matching.isEmpty() ? "" : ":" + EventText.describe(matching)));
    }
  }

  /**
   * Waits until the acknowledged events satisfy {@code condition} and returns them.
   *
   * @throws AssertionError if the condition did not hold within the timeout
   */
  public List<ChangeEvent> awaitEvents(Predicate<List<ChangeEvent>> condition, Duration timeout) {
    return awaitUntil(condition, timeout, "the expected events");
  }

  private List<ChangeEvent> awaitUntil(
      Predicate<List<ChangeEvent>> condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!condition.test(List.copyOf(events))) {
        long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (remainingMillis <= 0) {
          throw new AssertionError(
              "InMemorySink did not receive "
                  + what
                  + " within "
                  + timeout
                  + ": it has "
                  + events.size()
                  + " events in "
                  + acknowledged.size()
                  + " batches"
                  + describeLast());
        }
        try {
          lock.wait(remainingMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("Interrupted while waiting for " + what, e);
        }
      }
      return List.copyOf(events);
    }
  }

  private String describeLast() {
    return events.isEmpty() ? "" : "; the last is " + events.get(events.size() - 1);
  }

  private InMemorySink scriptNext(int batches, Behaviour behaviour) {
    requireNotNegative(batches);
    synchronized (lock) {
      for (int i = 0; i < batches; i++) {
        script.add(behaviour);
      }
    }
    return this;
  }

  private static void requireNotNegative(int batches) {
    if (batches < 0) {
      throw new IllegalArgumentException("batches must not be negative, but was " + batches);
    }
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "InMemorySink{" + events.size() + " events in " + acknowledged.size() + " batches}";
    }
  }

  private static final class Stalled {
    final List<ChangeEvent> events;
    final CompletableFuture<Void> stage;

    Stalled(List<ChangeEvent> events, CompletableFuture<Void> stage) {
      this.events = events;
      this.stage = stage;
    }
  }
}
