package io.datis.internal;

import static io.datis.internal.DebeziumRecords.PREFIX;
import static io.datis.internal.DebeziumRecords.change;
import static io.datis.internal.DebeziumRecords.end;
import static io.datis.internal.DebeziumRecords.envelope;
import static org.assertj.core.api.Assertions.assertThat;

import io.datis.ErrorPolicy;
import io.datis.api.SourceException;
import io.datis.api.TransformException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.TableId;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import io.debezium.engine.RecordChangeEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/**
 * A batch of records shaped as Debezium's PostgreSQL connector emits them becomes the events for
 * the sink and the places where offsets may be committed, without PostgreSQL.
 */
class BatchPreparationTest {

  private static final TableId ORDERS = TableId.of("public", "orders");
  private static final TableId SIGNALS = TableId.of("public", "datis_test_signals");

  private static final Schema PRICED_ROW =
      SchemaBuilder.struct()
          .optional()
          .field("id", Schema.INT32_SCHEMA)
          .field(
              "amount", SchemaBuilder.string().name(ColumnTypeConverter.NUMERIC).optional().build())
          .build();

  private final List<Transform> transforms = new ArrayList<>();
  private ErrorPolicy policy = ErrorPolicy.fail();

  @Test
  void aTransactionEndAfterAChangeIsTheBatchsCommitPointAndOneBeforeItsLeadingOne() {
    var earlierEnd = end(90);
    var insert = change(ORDERS, "c", 100, null);
    var end = end(110);
    var nextInsert = change(ORDERS, "c", 120, null);

    PreparedBatch closed = prepare(List.of(earlierEnd, insert, end));
    PreparedBatch open = prepare(List.of(insert, end, nextInsert));

    assertThat(closed.leadingCommitPoint).isSameAs(earlierEnd);
    assertThat(closed.commitPoint).isSameAs(end);
    assertThat(closed.endsOpen).isFalse();
    assertThat(closed.events).hasSize(1);
    assertThat(open.leadingCommitPoint).isNull();
    assertThat(open.commitPoint).isSameAs(end);
    assertThat(open.endsOpen).as("the next transaction goes on after the batch").isTrue();
    assertThat(open.newest.position().lsn()).isEqualTo(120);
  }

  @Test
  void aDroppedEventIsNotHandedOverButItsTransactionEndStillCommits() {
    transforms.add(event -> TransformResult.drop());
    var end = end(110);

    PreparedBatch batch = prepare(List.of(change(ORDERS, "c", 100, null), end));

    assertThat(batch.events).isEmpty();
    assertThat(batch.commitPoint).isSameAs(end);
    assertThat(batch.isEmpty()).isFalse();
  }

  @Test
  void aTransformFailureStopsThePipelineUnderFailAndIsHandledUnderSkip() {
    transforms.add(
        event -> {
          throw new IllegalStateException("broken");
        });
    List<RecordChangeEvent<SourceRecord>> records =
        List.of(change(ORDERS, "c", 100, null), end(110));

    PreparedBatch failed = prepare(records);
    policy = ErrorPolicy.skip();
    PreparedBatch skipped = prepare(records);

    assertThat(failed.failure).isInstanceOf(TransformException.class);
    assertThat(skipped.failure).isNull();
    assertThat(skipped.events).isEmpty();
    assertThat(skipped.poisonHandled).hasSize(1).allMatch(CompletableFuture::isDone);
    assertThat(skipped.commitPoint).isNotNull();
  }

  @Test
  void debeziumsSignalTableRowsAreNeverHandedOver() {
    PreparedBatch batch =
        prepare(List.of(change(SIGNALS, "c", 100, null), change(ORDERS, "c", 100, null), end(110)));

    assertThat(batch.events).extracting(ChangeEvent::table).containsExactly(ORDERS);
    assertThat(batch.commitPoint).isNotNull();
  }

  @Test
  void anInitialSnapshotRowCommitsOnItsOwnAndAnIncrementalOneWithItsTransaction() {
    var initial = change(ORDERS, "r", 100, "true");
    var incremental = change(ORDERS, "r", 200, "incremental");

    assertThat(prepare(List.of(initial)).commitPoint).isSameAs(initial);
    PreparedBatch chunk = prepare(List.of(incremental));
    assertThat(chunk.commitPoint).isNull();
    assertThat(chunk.endsOpen).isTrue();
  }

  @Test
  void aValueThatCannotBeConvertedNamesItsColumnAndPositionButNotTheValue() {
    Struct row = new Struct(PRICED_ROW).put("id", 1).put("amount", "secret-not-a-number");
    SourceRecord record =
        new SourceRecord(
            Map.of(),
            Map.of("lsn", 0x16B3748L, "txId", 571L, "incremental_snapshot_primary_key", "aced0005"),
            PREFIX + ".public.orders",
            null,
            null,
            envelope(PRICED_ROW, row, ORDERS, "c", 0x16B3748L, null));

    PreparedBatch batch = prepare(List.of(() -> record));

    assertThat(batch.failure)
        .isInstanceOf(SourceException.class)
        .hasMessage(
            "Cannot convert the change of datis_test.public.orders at lsn 0/16B3748 tx 571, column amount of type"
                + " io.datis.postgres.Numeric: java.lang.NumberFormatException (the cause holds its message). Please"
                + " report this with the column types of the table")
        .hasMessageNotContaining("secret")
        .hasMessageNotContaining("aced0005");
  }

  private PreparedBatch prepare(List<RecordChangeEvent<SourceRecord>> records) {
    PipelineSettings settings = settings();
    PipelineMetrics metrics =
        PipelineMetrics.of(null, "test", () -> 0, () -> 0, () -> null, () -> null, () -> null);
    Map<TableId, ReplicaIdentity> identities = TestSettings.identities();
    return new BatchPreparation(
            new RecordConverter(PREFIX, identities),
            new TransformChain(transforms),
            new PoisonEvents("test", policy, metrics),
            metrics,
            new IncrementalSnapshots(settings, identities))
        .prepare(records);
  }

  private PipelineSettings settings() {
    return TestSettings.of(transforms, policy, batch -> CompletableFuture.completedFuture(null));
  }
}
