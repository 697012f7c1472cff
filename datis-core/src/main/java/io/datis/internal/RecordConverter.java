package io.datis.internal;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;

/**
 * Turns Debezium's Kafka Connect records straight into {@link ChangeEvent}s (no JSON in between)
 * and recognizes the transaction-end markers that are the only safe places to commit. Converters
 * are built once per table schema and cached. Confined to the capture thread.
 */
final class RecordConverter {

  /** What a Debezium record is, for the pipeline. */
  enum Kind {
    /** A row change (or snapshot read, or truncate). */
    CHANGE,
    /** The end of a transaction: everything before it in the stream is complete. */
    TRANSACTION_END,
    /** A Debezium notification, such as an incremental snapshot's progress. */
    NOTIFICATION,
    /** Anything else (transaction begin, heartbeat): nothing to deliver. */
    OTHER
  }

  private final String transactionTopic;
  private final String notificationTopic;
  private final Map<Schema, RowConverter> rowConverters = new IdentityHashMap<>();
  private final Map<Schema, List<String>> keyColumns = new IdentityHashMap<>();

  /**
   * Each table's id by its envelope schema, one per table: no name checks and concatenation per
   * event.
   */
  private final Map<Schema, TableId> tables = new IdentityHashMap<>();

  private final Map<TableId, ReplicaIdentity> identities;
  private long snapshotSequence;

  /**
   * @param identities each captured table's replica identity, which decides its key columns and
   *     which columns of the old row are real (Debezium fills the others with type defaults, which
   *     Datis removes)
   */
  RecordConverter(String topicPrefix, Map<TableId, ReplicaIdentity> identities) {
    this.transactionTopic = topicPrefix + ".transaction";
    this.notificationTopic = topicPrefix + ".notifications";
    this.identities = Map.copyOf(identities);
  }

  Kind kindOf(SourceRecord record) {
    Object value = record.value();
    if (!(value instanceof Struct)) {
      return Kind.OTHER;
    }
    Struct struct = (Struct) value;
    if (transactionTopic.equals(record.topic())) {
      return "END".equals(struct.getString("status")) ? Kind.TRANSACTION_END : Kind.OTHER;
    }
    if (notificationTopic.equals(record.topic())) {
      return Kind.NOTIFICATION;
    }
    return struct.schema().field("op") != null && struct.schema().field("source") != null
        ? Kind.CHANGE
        : Kind.OTHER;
  }

  /**
   * Whether committing this change's offset is safe on its own: the rows of the initial snapshot
   * are not in a transaction. An incremental snapshot's rows are, in the transaction that closes
   * their chunk, whose end is the place to commit (their own offset would mark the position as an
   * initial snapshot's).
   */
  static boolean isCommitPointOnItsOwn(ChangeEvent event, SourceRecord record) {
    return event.operation() == Operation.SNAPSHOT_READ
        && !"incremental"
            .equals(((Struct) record.value()).getStruct("source").getString("snapshot"));
  }

  ChangeEvent toChangeEvent(SourceRecord record) {
    Struct value = (Struct) record.value();
    Struct source = value.getStruct("source");
    Operation operation = Operation.fromDebeziumCode(value.getString("op"));
    TableId table =
        tables.computeIfAbsent(
            value.schema(),
            envelope -> TableId.of(source.getString("schema"), source.getString("table")));
    ChangeEvent.Builder event =
        ChangeEvent.builder(operation, table)
            .position(position(value, source, operation))
            .commitTime(commitTime(source));
    ReplicaIdentity identity = identities.get(table);
    if (identity != null) {
      event.keyColumns(identity.keyColumns());
    } else if (record.keySchema() != null) {
      event.keyColumns(keyColumns.computeIfAbsent(record.keySchema(), RecordConverter::fieldNames));
    }
    Struct before = value.getStruct("before");
    if (before != null) {
      Map<String, @Nullable Object> image = rowConverter(before.schema()).convert(before);
      List<String> sent = identity == null ? null : identity.oldRowColumns();
      event.before(sent == null ? image : onlyColumns(image, sent));
    }
    Struct after = value.getStruct("after");
    if (after != null) {
      event.after(rowConverter(after.schema()).convert(after));
    }
    return event.build();
  }

  private static Map<String, @Nullable Object> onlyColumns(
      Map<String, @Nullable Object> image, List<String> columns) {
    Map<String, @Nullable Object> kept = new LinkedHashMap<>();
    for (Map.Entry<String, @Nullable Object> column : image.entrySet()) {
      if (columns.contains(column.getKey())) {
        kept.put(column.getKey(), column.getValue());
      }
    }
    return kept;
  }

  private RowConverter rowConverter(Schema schema) {
    return rowConverters.computeIfAbsent(schema, RowConverter::new);
  }

  private Position position(Struct value, Struct source, Operation operation) {
    Long lsn = source.getInt64("lsn");
    Long txId = source.getInt64("txId");
    long sequence;
    if (operation == Operation.SNAPSHOT_READ) {
      sequence = ++snapshotSequence;
    } else {
      Struct transaction =
          value.schema().field("transaction") == null ? null : value.getStruct("transaction");
      sequence = transaction == null ? 0 : transaction.getInt64("total_order");
    }
    return Position.of(lsn == null ? 0 : lsn, txId == null ? 0 : txId, sequence);
  }

  private static Instant commitTime(Struct source) {
    Field micros = source.schema().field("ts_us");
    Long tsUs = micros == null ? null : source.getInt64("ts_us");
    if (tsUs != null) {
      return Instant.ofEpochSecond(
          Math.floorDiv(tsUs, 1_000_000L), Math.floorMod(tsUs, 1_000_000L) * 1_000L);
    }
    return Instant.ofEpochMilli(source.getInt64("ts_ms"));
  }

  private static List<String> fieldNames(Schema keySchema) {
    return keySchema.fields().stream().map(Field::name).toList();
  }
}
