package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class InFlightLimitTest {

  private final InFlightLimit limit = new InFlightLimit(10, 1_000);

  @Test
  void aBatchWaitsForRoomByEventsAndByBytes() throws Exception {
    assertThat(limit.acquire(10, 100, () -> false)).isTrue();
    CompletableFuture<Boolean> byEvents = acquireInBackground(1, 1, new AtomicBoolean());
    await()
        .during(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !byEvents.isDone());

    limit.release(10, 100);
    assertThat(byEvents.get()).isTrue();

    assertThat(limit.acquire(1, 999, () -> false)).isTrue();
    CompletableFuture<Boolean> byBytes = acquireInBackground(1, 2, new AtomicBoolean());
    await()
        .during(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !byBytes.isDone());
    limit.release(1, 999);
    assertThat(byBytes.get()).isTrue();
    assertThat(limit.events()).isEqualTo(2);
    assertThat(limit.bytes()).isEqualTo(3);
  }

  @Test
  void aBatchLargerThanTheByteBudgetGoesAloneAndCountsAsTheBudget() throws Exception {
    assertThat(limit.acquire(1, 5_000, () -> false)).isTrue();
    assertThat(limit.bytes()).isEqualTo(1_000);

    limit.release(1, 5_000);
    assertThat(limit.bytes()).isZero();
    assertThat(limit.events()).isZero();
  }

  @Test
  void aWaitingBatchGivesUpTakingNothingWhenThePipelineStops() throws Exception {
    limit.acquire(10, 100, () -> false);
    AtomicBoolean stopping = new AtomicBoolean();
    CompletableFuture<Boolean> waiting = acquireInBackground(5, 10, stopping);

    stopping.set(true);

    assertThat(waiting.get()).isFalse();
    assertThat(limit.events()).isEqualTo(10);
    assertThat(limit.bytes()).isEqualTo(100);
  }

  private CompletableFuture<Boolean> acquireInBackground(
      int events, long bytes, AtomicBoolean stopping) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return limit.acquire(events, bytes, stopping::get);
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }
}
