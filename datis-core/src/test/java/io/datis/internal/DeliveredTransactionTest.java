package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeliveredTransactionTest {

  private final DeliveredTransaction delivered = new DeliveredTransaction();

  @Test
  void aTransactionLeftOpenAwaitsItsEndUntilACommitPointIsAppended() throws Exception {
    delivered.appended(true);
    assertThat(delivered.awaitsItsEnd()).isTrue();
    CompletableFuture<Void> waiting =
        CompletableFuture.runAsync(
            () -> {
              try {
                delivered.awaitEnd(1, TimeUnit.MINUTES);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });

    delivered.appended(false);

    waiting.get(1, TimeUnit.MINUTES); // returns because of the end, long before the timeout
    assertThat(delivered.awaitsItsEnd()).isFalse();
  }

  @Test
  void afterADroppedBatchNoEndIsOursToCommit() throws Exception {
    delivered.appended(true);

    delivered.dropped();

    assertThat(delivered.awaitsItsEnd()).isFalse();
    delivered.awaitEnd(1, TimeUnit.MINUTES); // returns at once
  }

  @Test
  void waitingForAnEndThatDoesNotComeReturnsAtTheTimeout() throws Exception {
    delivered.appended(true);

    delivered.awaitEnd(50, TimeUnit.MILLISECONDS);

    assertThat(delivered.awaitsItsEnd()).isTrue();
  }
}
