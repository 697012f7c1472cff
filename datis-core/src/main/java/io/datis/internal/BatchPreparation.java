package io.datis.internal;

import io.datis.api.SourceException;
import io.datis.api.TransformException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.sink.DeadLetter;
import io.debezium.engine.RecordChangeEvent;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns a batch of Debezium records into a {@link PreparedBatch}: converts each change, runs the
 * transforms (a failing one meets the error policy), leaves out Debezium's own signal-table rows,
 * follows incremental snapshot notifications, and finds where the batch's offsets may be committed:
 * at transaction ends, and at each row of an initial snapshot. Runs on Debezium's thread, in
 * capture order.
 */
final class BatchPreparation {

  private final RecordConverter converter;
  private final TransformChain transforms;
  private final PoisonEvents poison;
  private final PipelineMetrics metrics;
  private final IncrementalSnapshots snapshots;

  BatchPreparation(
      RecordConverter converter,
      TransformChain transforms,
      PoisonEvents poison,
      PipelineMetrics metrics,
      IncrementalSnapshots snapshots) {
    this.converter = converter;
    this.transforms = transforms;
    this.poison = poison;
    this.metrics = metrics;
    this.snapshots = snapshots;
  }

  PreparedBatch prepare(List<RecordChangeEvent<SourceRecord>> records) {
    PreparedBatch prepared = new PreparedBatch(records.size());
    for (RecordChangeEvent<SourceRecord> record : records) {
      SourceRecord sourceRecord = record.record();
      switch (converter.kindOf(sourceRecord)) {
        case CHANGE:
          prepared.seenChange = true;
          ChangeEvent captured;
          try {
            captured = converter.toChangeEvent(sourceRecord);
          } catch (RuntimeException e) {
            prepared.failure = conversionFailure(sourceRecord, e);
            return prepared;
          }
          boolean commitPointOnItsOwn =
              RecordConverter.isCommitPointOnItsOwn(captured, sourceRecord);
          if (commitPointOnItsOwn) {
            prepared.commitPoint = record;
          }
          prepared.endsOpen = !commitPointOnItsOwn;
          if (snapshots.isSignalTable(captured.table())) {
            break; // Debezium's own signals and watermarks: committed with their transaction, not
            // delivered
          }
          if (captured.operation() == Operation.SNAPSHOT_READ && !commitPointOnItsOwn) {
            snapshots.rowRead(captured.table());
          }
          prepared.newest = captured;
          metrics.captured(captured);
          ChangeEvent transformed;
          try {
            transformed = transforms.apply(captured);
          } catch (TransformException e) {
            if (poison.stopsThePipeline()) {
              prepared.failure = e;
              return prepared;
            }
            prepared.poisonHandled.add(poison.handle(captured, DeadLetter.Stage.TRANSFORM, e));
            break;
          }
          if (transformed == null) {
            metrics.dropped(captured);
          } else {
            prepared.events.add(transformed);
            prepared.bytes += EventSize.estimate(transformed);
          }
          break;
        case TRANSACTION_END:
          if (prepared.seenChange) {
            prepared.commitPoint = record;
          } else {
            prepared.leadingCommitPoint = record;
          }
          prepared.endsOpen = false;
          break;
        case NOTIFICATION:
          IncrementalSnapshots.Outcome outcome =
              snapshots.onNotification((Struct) sourceRecord.value());
          if (outcome.failure() != null) {
            prepared.failure = outcome.failure();
            return prepared;
          }
          prepared.whenAcknowledged.addAll(outcome.whenAcknowledged());
          break;
        default:
          break;
      }
    }
    return prepared;
  }

  private static SourceException conversionFailure(SourceRecord record, RuntimeException e) {
    // The exception's message could quote a row value, so only its type (or the column's) is named.
    String what =
        e instanceof RowConverter.ColumnConversionException
            ? e.getMessage()
            : e.getClass().getName() + " (the cause holds its message)";
    // Not the whole offset: during an incremental snapshot it holds the chunk's key values.
    Map<String, ?> offset = record.sourceOffset();
    return new SourceException(
        "Cannot convert the change of "
            + record.topic()
            + " at lsn "
            + (offset.get("lsn") instanceof Long
                ? Position.formatLsn((Long) offset.get("lsn"))
                : "?")
            + " tx "
            + offset.get("txId")
            + ", "
            + what
            + ". Please report this with the column types of the table",
        e);
  }
}
