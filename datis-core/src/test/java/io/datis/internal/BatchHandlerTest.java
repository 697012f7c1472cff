package io.datis.internal;

import static io.datis.internal.DebeziumRecords.PREFIX;
import static io.datis.internal.DebeziumRecords.change;
import static io.datis.internal.DebeziumRecords.end;
import static io.datis.internal.TestSettings.ORDERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.ErrorPolicy;
import io.datis.api.DatisException;
import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Batches go from Debezium's hand-over through the real preparation, in-flight limit, committer and
 * sink dispatch, with a sink the test completes by hand; without PostgreSQL.
 */
class BatchHandlerTest {

  /** Each batch the sink was given, with the stage the test completes. */
  private final List<CompletableFuture<Void>> deliveries = new CopyOnWriteArrayList<>();

  private final List<List<ChangeEvent>> delivered = new CopyOnWriteArrayList<>();
  private final Sink sink =
      batch -> {
        CompletableFuture<Void> delivery = new CompletableFuture<>();
        delivered.add(batch);
        deliveries.add(delivery);
        return delivery;
      };
  private final AtomicReference<@Nullable DatisException> failure = new AtomicReference<>();
  private final RecordingCommitter committer = new RecordingCommitter();
  private final Lease lease = Lease.unlimited();
  private final AtomicInteger lapses = new AtomicInteger();
  private final OffsetCommitter offsets =
      new OffsetCommitter("test", Executors.defaultThreadFactory(), lease);
  private final BatchHandler handler = handler(2);

  @AfterEach
  void stopCommitting() {
    offsets.commitAndStop();
  }

  @Test
  void offsetsAreCommittedOnlyOnceTheSinkAcknowledgedTheBatch() throws Exception {
    handler.handleBatch(List.of(change(ORDERS, "c", 100, null), end(110)), committer);

    assertThat(delivered).hasSize(1);
    assertThat(delivered.get(0)).extracting(event -> event.position().lsn()).containsExactly(100L);
    assertThat(offsets.pendingBatches()).as("held until the sink acknowledges").isEqualTo(1);
    assertThat(handler.newestCapturedLsn()).isEqualTo(100L);
    assertThat(handler.lastEventTime()).isNotNull();

    deliveries.get(0).complete(null);
    offsets.commitAndStop();
    assertThat(committer.committed).containsExactly(110L);
  }

  @Test
  void aFullInFlightLimitHoldsTheNextBatchUntilTheSinkCompletesOne() throws Exception {
    handler.handleBatch(
        List.of(change(ORDERS, "c", 100, null), change(ORDERS, "u", 101, null)), committer);
    Future<?> next =
        Executors.newSingleThreadExecutor()
            .submit(
                () -> {
                  handler.handleBatch(List.of(change(ORDERS, "c", 102, null), end(110)), committer);
                  return null;
                });

    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> delivered.size() == 1);
    deliveries.get(0).complete(null);
    next.get();

    assertThat(delivered).hasSize(2);
    deliveries.get(1).complete(null);
    offsets.commitAndStop();
    assertThat(committer.committed).containsExactly(110L);
  }

  @Test
  void aSinkFailureFailsThePipelineAndCommitsNothing() throws Exception {
    handler.handleBatch(List.of(change(ORDERS, "c", 100, null), end(110)), committer);

    deliveries.get(0).completeExceptionally(new IllegalStateException("topic deleted"));

    assertThat(failure.get())
        .isInstanceOf(SinkException.class)
        .hasMessageContaining("topic deleted");
    offsets.commitAndStop();
    assertThat(committer.committed).isEmpty();
  }

  @Test
  void onceTheLeaseIsRevokedNothingMoreReachesTheSinkAndNothingIsCommitted() throws Exception {
    handler.handleBatch(List.of(change(ORDERS, "c", 100, null), end(105)), committer);

    lease.revoke();
    handler.handleBatch(List.of(change(ORDERS, "c", 110, null), end(115)), committer);
    deliveries.get(0).complete(null);
    offsets.commitAndStop();

    assertThat(delivered).as("only the batch handed over while the lease held").hasSize(1);
    assertThat(lapses).as("the lapse is reported, once per refused batch").hasValue(1);
    assertThat(committer.committed)
        .as("acknowledged after the lease was gone: another instance may be active")
        .isEmpty();
    assertThat(failure.get()).isNull();
  }

  @Test
  void onceStoppedOnlyTheEndOfTheDeliveredTransactionIsCommitted() throws Exception {
    handler.handleBatch(List.of(change(ORDERS, "c", 100, null)), committer);
    deliveries.get(0).complete(null);

    handler.stop();
    handler.handleBatch(List.of(end(110), change(ORDERS, "c", 120, null), end(130)), committer);
    handler.awaitTheDeliveredTransactionsEnd(1_000);
    offsets.commitAndStop();

    assertThat(committer.committed)
        .as("the delivered transaction's end, not the next one's")
        .containsExactly(110L);
    assertThat(delivered).hasSize(1);
  }

  @Test
  void onceStoppedAChangeBeforeAnyEndMeansTheDeliveredTransactionIsNotCommitted() throws Exception {
    handler.handleBatch(List.of(change(ORDERS, "c", 100, null)), committer);
    deliveries.get(0).complete(null);

    handler.stop();
    handler.handleBatch(List.of(change(ORDERS, "c", 101, null), end(110)), committer);
    offsets.commitAndStop();

    assertThat(committer.committed).as("its last change was not delivered").isEmpty();
    assertThat(delivered).hasSize(1);
  }

  private BatchHandler handler(int maxInFlightEvents) {
    PipelineSettings settings = TestSettings.of(List.of(), ErrorPolicy.fail(), sink);
    PipelineMetrics metrics =
        PipelineMetrics.of(null, "test", () -> 0, () -> 0, () -> null, () -> null, () -> null);
    PoisonEvents poison = new PoisonEvents("test", ErrorPolicy.fail(), metrics);
    RecordConverter converter = new RecordConverter(PREFIX, TestSettings.identities());
    return new BatchHandler(
        "test",
        converter,
        new BatchPreparation(
            converter,
            new TransformChain(new ArrayList<>()),
            poison,
            metrics,
            new IncrementalSnapshots(settings, TestSettings.identities())),
        new InFlightLimit(maxInFlightEvents, 1L << 30),
        offsets,
        new SinkDispatch(sink, poison, metrics, BatchTracing.OFF),
        failure::set,
        lease,
        lapses::incrementAndGet);
  }
}
