package io.datis.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.api.sink.SinkContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Deliberately broken sinks fail the compatibility kit, in the test that checks the rule they
 * break: the kit is run on them with the JUnit Platform launcher.
 */
class BrokenSinkIsCaughtTest {

  @Test
  void aSinkThatCompletesBeforeDeliveringFailsTheCompletionTest() {
    Map<String, Outcome> outcomes = run(CompletesBeforeDelivering.class);

    Outcome completion = outcomes.get("completesABatchOnlyOnceEveryEventIsDelivered");
    assertThat(completion.status).isEqualTo(TestExecutionResult.Status.FAILED);
    assertThat(completion.message)
        .startsWith(
            "The destination of CompletesBeforeDelivering lacks 40 of 40 events right after the"
                + " stage of its batch completed (completion must mean delivered):\n"
                + "  INSERT datis_kit.orders key {id=1} at lsn ")
        .contains("\n  ... and 20 more");
    assertThat(outcomes.get("completesEveryBatchWhenSeveralAreInFlight").status)
        .isEqualTo(TestExecutionResult.Status.FAILED);
    assertThat(outcomes.get("failsTheBatchWhenTheDestinationRejectsIt").status)
        .isEqualTo(TestExecutionResult.Status.ABORTED);
    assertThat(outcomes.get("failsTheBatchWhenTheDestinationRejectsIt").message)
        .isEqualTo(
            "CompletesBeforeDelivering does not override makeDestinationFail(),"
                + " so failure signalling is not checked");
  }

  @Test
  void aSinkThatReordersRowsFailsOnlyTheOrderTest() {
    Map<String, Outcome> outcomes = run(ReordersBatches.class);

    assertThat(failed(outcomes)).containsExactly("keepsPerKeyOrderAcrossBatchesInFlight");
    assertThat(outcomes.get("keepsPerKeyOrderAcrossBatchesInFlight").message)
        .startsWith(
            "ReordersBatches changed the order of the changes of row [datis_kit.orders, {id=")
        .contains("(in 20 batches in flight), but the destination holds them in the order")
        .endsWith(
            "A sink that delivers batches concurrently must keep each row's changes in order");
  }

  @Test
  void aSinkThatSwallowsFailuresFailsOnlyTheFailureTest() {
    Map<String, Outcome> outcomes = run(SwallowsFailures.class);

    assertThat(failed(outcomes)).containsExactly("failsTheBatchWhenTheDestinationRejectsIt");
    assertThat(outcomes.get("failsTheBatchWhenTheDestinationRejectsIt").message)
        .isEqualTo(
            "SwallowsFailures completed the stage of a batch of 9 events normally although the"
                + " destination rejects every delivery: a stage must complete exceptionally when"
                + " its batch cannot be delivered");
  }

  @Test
  void aSinkThatReportsSuccessOnCloseFailsOnlyTheCloseTest() {
    Map<String, Outcome> outcomes = run(SucceedsOnClose.class);

    assertThat(failed(outcomes))
        .containsExactly(
            "neverReportsUndeliveredEventsAsDeliveredWhenClosedWithBatchesOutstanding");
    assertThat(
            outcomes.get("neverReportsUndeliveredEventsAsDeliveredWhenClosedWithBatchesOutstanding")
                .message)
        .startsWith("The destination of SucceedsOnClose lacks ")
        .contains(
            " of 160 events after close(), for the batches whose stages completed normally"
                + " (completion must mean delivered):\n  ");
  }

  @Test
  void aSinkThatCannotOpenAgainAfterCloseFailsOnlyTheReopenTest() {
    Map<String, Outcome> outcomes = run(OpensOnlyOnce.class);

    assertThat(failed(outcomes)).containsExactly("opensAgainAfterClose");
    assertThat(outcomes.get("opensAgainAfterClose").message)
        .isEqualTo("OpensOnlyOnce cannot be opened again");
  }

  // ------------------------------------------------------------------ running the kit

  private static final class Outcome {
    final TestExecutionResult.Status status;
    final String message;

    Outcome(TestExecutionResult result) {
      this.status = result.getStatus();
      this.message = result.getThrowable().map(Throwable::getMessage).orElse("");
    }
  }

  private static List<String> failed(Map<String, Outcome> outcomes) {
    return outcomes.entrySet().stream()
        .filter(entry -> entry.getValue().status == TestExecutionResult.Status.FAILED)
        .map(Map.Entry::getKey)
        .collect(Collectors.toList());
  }

  /** Runs the kit's tests on a subclass; returns each test method's outcome by name. */
  private static Map<String, Outcome> run(Class<? extends SinkCompatibilityKit> kit) {
    Map<String, Outcome> outcomes = Collections.synchronizedMap(new TreeMap<>());
    Launcher launcher = LauncherFactory.create();
    launcher.execute(
        LauncherDiscoveryRequestBuilder.request()
            .selectors(selectClass(kit))
            .filters(EngineFilter.includeEngines("junit-jupiter"))
            .build(),
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            if (test.isTest()) {
              outcomes.put(test.getDisplayName().replace("()", ""), new Outcome(result));
            }
          }
        });
    assertThat(outcomes).hasSize(11);
    return outcomes;
  }

  // ------------------------------------------------------------------ broken sinks

  /** A kit for a sink that keeps what it delivered in memory. */
  abstract static class MemoryKit extends SinkCompatibilityKit {
    final List<ChangeEvent> destination = Collections.synchronizedList(new ArrayList<>());

    @Override
    protected List<DeliveredEvent> delivered() {
      synchronized (destination) {
        return destination.stream().map(DeliveredEvent::of).collect(Collectors.toList());
      }
    }

    @Override
    protected Duration timeout() {
      return Duration.ofSeconds(3);
    }
  }

  /** Acknowledges at once and writes the batch 300 ms later. */
  static class CompletesBeforeDelivering extends MemoryKit {
    @Override
    protected Sink createSink() {
      return new Sink() {
        @Override
        public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
          CompletableFuture.runAsync(
              () -> destination.addAll(batch),
              CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {}
      };
    }
  }

  /** Writes each batch on its own after a random delay: rows spread over batches are reordered. */
  static class ReordersBatches extends MemoryKit {
    @Override
    protected Sink createSink() {
      return batch ->
          CompletableFuture.runAsync(
              () -> destination.addAll(batch),
              CompletableFuture.delayedExecutor(
                  ThreadLocalRandom.current().nextInt(1, 40), TimeUnit.MILLISECONDS));
    }
  }

  /** Reports success even when the destination rejects the batch. */
  static class SwallowsFailures extends MemoryKit {
    volatile boolean failing;

    @Override
    protected Sink createSink() {
      return batch -> {
        if (!failing) {
          destination.addAll(batch);
        }
        return CompletableFuture.completedFuture(null);
      };
    }

    @Override
    protected void makeDestinationFail() {
      failing = true;
    }
  }

  /** Writes batches 200 ms after receiving them, but completes the outstanding ones on close. */
  static class SucceedsOnClose extends MemoryKit {
    @Override
    protected Sink createSink() {
      return new Sink() {
        final List<CompletableFuture<Void>> pending = new ArrayList<>();
        final List<ChangeEvent> buffer = new ArrayList<>();
        boolean closed;

        @Override
        public synchronized CompletionStage<Void> deliver(List<ChangeEvent> batch) {
          buffer.addAll(batch);
          CompletableFuture<Void> stage = new CompletableFuture<>();
          pending.add(stage);
          CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS).execute(this::flush);
          return stage;
        }

        private synchronized void flush() {
          if (!closed) {
            destination.addAll(buffer);
            buffer.clear();
            pending.forEach(done -> done.complete(null));
            pending.clear();
          }
        }

        @Override
        public synchronized void open(SinkContext context) {
          closed = false;
        }

        @Override
        public synchronized void close() {
          closed = true;
          buffer.clear();
          pending.forEach(done -> done.complete(null)); // wrong: the buffer was dropped
        }
      };
    }
  }

  /** Cannot be opened a second time, as a sink that tears down for good in close() would. */
  static class OpensOnlyOnce extends MemoryKit {
    @Override
    protected Sink createSink() {
      return new Sink() {
        boolean opened;

        @Override
        public void open(SinkContext context) {
          if (opened) {
            throw new IllegalStateException("OpensOnlyOnce cannot be opened again");
          }
          opened = true;
        }

        @Override
        public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
          destination.addAll(batch);
          return CompletableFuture.completedFuture(null);
        }
      };
    }
  }
}
