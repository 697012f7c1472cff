package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CommitTrackerTest {

  private final CommitTracker<String> tracker = new CommitTracker<>();

  @Test
  void commitsOnlyTheContiguousCompletedPrefix() {
    CommitTracker.Segment<String> first = tracker.append("end-1", 3, 0);
    CommitTracker.Segment<String> second = tracker.append(null, 2, 0);
    CommitTracker.Segment<String> third = tracker.append("end-3", 1, 0);

    assertThat(tracker.complete(third))
        .as("third completes first: nothing before it is done")
        .isNull();
    assertThat(tracker.complete(second))
        .as("second has no commit point and first is still open")
        .isNull();
    assertThat(tracker.complete(first))
        .as("now the prefix reaches the newest commit point")
        .isEqualTo("end-3");
    assertThat(tracker.pendingBatches()).isZero();
  }

  @Test
  void aPrefixWithoutCommitPointsCommitsNothing() {
    CommitTracker.Segment<String> first = tracker.append(null, 5, 0);
    tracker.append("end-2", 5, 0);

    assertThat(tracker.complete(first)).isNull();
    assertThat(tracker.pendingBatches()).isEqualTo(1);
  }

  @Test
  void awaitDrainedReturnsOnceEverythingCompletedOrTheTimeoutElapses() throws Exception {
    CommitTracker.Segment<String> only = tracker.append("end", 1, 0);

    assertThat(tracker.awaitDrained(20, TimeUnit.MILLISECONDS)).isFalse();
    new Thread(() -> tracker.complete(only)).start();
    assertThat(tracker.awaitDrained(10, TimeUnit.SECONDS)).isTrue();
  }
}
