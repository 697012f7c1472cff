package io.datis.internal;

import io.datis.api.DatisException;
import io.datis.api.event.ChangeEvent;
import io.debezium.engine.RecordChangeEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;

/**
 * A batch of Debezium records converted and transformed into the events for the sink, with the
 * places where its offsets may be committed and what waits for its acknowledgement; or the failure
 * that stopped its preparation.
 */
final class PreparedBatch {

  /** The events for the sink, in capture order. */
  final List<ChangeEvent> events;

  /**
   * The last transaction end before the batch's first change: it closes a transaction of earlier
   * batches, so it gets a segment of its own and commits as soon as those batches complete.
   */
  @Nullable RecordChangeEvent<SourceRecord> leadingCommitPoint;

  /** The last commit point after the batch's first change, committed once the batch completes. */
  @Nullable RecordChangeEvent<SourceRecord> commitPoint;

  /** Whether the batch's last change is not followed by a commit point: its transaction goes on. */
  boolean endsOpen;

  /** The estimated size of {@link #events}. */
  long bytes;

  /** Events a transform failed on, skipped or dead-lettered: the batch completes once they are. */
  final List<CompletableFuture<Void>> poisonHandled = new ArrayList<>(0);

  /** What to do once the sink acknowledged this batch and every batch before it. */
  final List<Runnable> whenAcknowledged = new ArrayList<>(0);

  /** Whether the batch holds a change (delivered or not). */
  boolean seenChange;

  /** The newest change captured (before transforms), for the in-flight WAL gauge. */
  @Nullable ChangeEvent newest;

  /** Why preparing the batch stopped the pipeline; the rest of the batch was not looked at. */
  @Nullable DatisException failure;

  PreparedBatch(int capacity) {
    this.events = new ArrayList<>(capacity);
  }

  /**
   * Whether nothing in the batch needs the sink or the offsets: no events, no commit, nothing
   * waiting.
   */
  boolean isEmpty() {
    return events.isEmpty()
        && commitPoint == null
        && poisonHandled.isEmpty()
        && whenAcknowledged.isEmpty()
        && !endsOpen;
  }
}
