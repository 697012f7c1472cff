package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.debezium.engine.RecordChangeEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Offsets are committed only for what the sink acknowledged, as a contiguous prefix, at transaction
 * ends.
 */
class OffsetCommitterTest {

  private final RecordingCommitter committer = new RecordingCommitter();
  private final OffsetCommitter offsets =
      new OffsetCommitter("test", Executors.defaultThreadFactory(), Lease.unlimited());

  @AfterEach
  void stop() {
    offsets.commitAndStop();
  }

  @Test
  void commitsTheNewestTransactionEndOfTheContiguousAcknowledgedPrefixOnly() throws Exception {
    offsets.useCommitter(committer);
    var first = offsets.append(transactionEnd(100), 10, 1_000, List.of());
    var second = offsets.append(transactionEnd(200), 10, 1_000, List.of());
    var third = offsets.append(null, 10, 1_000, List.of());

    offsets.completed(second);
    offsets.completed(third);
    assertThat(offsets.pendingBatches()).as("the first batch holds the others back").isEqualTo(3);

    offsets.completed(first);
    offsets.commitAndStop();

    assertThat(committer.committed)
        .as("only the newest point, which covers the ones before")
        .containsExactly(200L);
    assertThat(offsets.lastCommittedLsn()).isEqualTo(200L);
    assertThat(offsets.lastCommitTime()).isNotNull();
    assertThat(offsets.awaitDrained(1, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void runsWhatWaitsForAcknowledgementOnceTheBatchesBeforeItAreAcknowledgedToo() {
    offsets.useCommitter(committer);
    AtomicBoolean ran = new AtomicBoolean();
    var first = offsets.append(null, 1, 100, List.of());
    var second = offsets.append(transactionEnd(300), 1, 100, List.of(() -> ran.set(true)));

    offsets.completed(second);
    assertThat(ran).isFalse();

    offsets.completed(first);
    assertThat(ran).isTrue();
  }

  @Test
  void aCommitThatFailsIsRetriedWithTheNextOne() {
    committer.failures.set(1);
    offsets.useCommitter(committer);

    offsets.completed(offsets.append(transactionEnd(400), 1, 100, List.of()));
    await().atMost(Duration.ofSeconds(10)).until(() -> committer.failures.get() == 0);
    offsets.completed(offsets.append(transactionEnd(500), 1, 100, List.of()));
    offsets.commitAndStop();

    assertThat(committer.committed).containsExactly(500L);
    assertThat(offsets.lastCommittedLsn()).isEqualTo(500L);
  }

  private static RecordChangeEvent<SourceRecord> transactionEnd(long lsn) {
    return DebeziumRecords.end(lsn);
  }
}
