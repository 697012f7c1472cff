package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.ConfigurationException;
import io.datis.api.SourceException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slot dropped while its pipeline was stopped: the changes in between are lost, and start says
 * so.
 */
class SlotLostTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path offsetsDir;

  @BeforeEach
  void createTable() {
    pg.execute("CREATE TABLE public.orders (id int PRIMARY KEY)");
  }

  @Test
  void aDroppedSlotWithPostgresOffsetsFailsTheStartThenResnapshotStartsOver() {
    runOnceAndStop(OffsetStore.postgres());
    pg.execute("SELECT pg_drop_replication_slot('datis_orders')", "INSERT INTO orders VALUES (2)");

    assertThatThrownBy(() -> pipeline(OffsetStore.postgres(), new InMemorySink()).start())
        .isInstanceOf(SourceException.class)
        .hasMessage(
            "Replication slot 'datis_orders' does not exist, but pipeline 'orders' has offsets in"
                + " OffsetStore.postgres(public.datis_offsets): the slot was dropped (or never belonged to"
                + " these offsets), so changes made since this pipeline last ran are gone. Fix: to start over"
                + " and read the tables afresh, start the pipeline once with resnapshotIfSlotLost(); raise"
                + " max_slot_wal_keep_size and watch the slot lag so that it does not happen again");
    assertThat(slots()).as("no new slot hides the loss").isEmpty();

    InMemorySink sink = new InMemorySink();
    try (Pipeline startedOver =
        pipeline(OffsetStore.postgres(), sink).resnapshotIfSlotLost().start()) {
      List<ChangeEvent> rows = sink.awaitEvents(2, TIMEOUT);

      assertThat(rows).extracting(ChangeEvent::operation).containsOnly(Operation.SNAPSHOT_READ);
      assertThat(rows)
          .extracting(event -> event.after().orElseThrow().get("id"))
          .containsExactlyInAnyOrder(1, 2);
      pg.execute("INSERT INTO orders VALUES (3)");
      sink.awaitEvents(3, TIMEOUT);
    }
    assertThat(slots()).containsExactly("datis_orders");
  }

  @Test
  void aDroppedSlotWithAnOffsetsFileFailsTheStart() {
    OffsetStore file = OffsetStore.file(offsetsDir.resolve("orders.offsets"));
    runOnceAndStop(file);
    pg.execute("SELECT pg_drop_replication_slot('datis_orders')");

    assertThatThrownBy(() -> pipeline(file, new InMemorySink()).start())
        .isInstanceOf(SourceException.class)
        .hasMessageStartingWith(
            "Replication slot 'datis_orders' does not exist, but pipeline 'orders' has offsets in"
                + " OffsetStore.file(");
  }

  @Test
  void aSlotDroppedAndRecreatedWhileStoppedFailsTheStart() {
    runOnceAndStop(OffsetStore.postgres());
    pg.execute(
        "SELECT pg_drop_replication_slot('datis_orders')",
        "INSERT INTO orders VALUES (2)",
        "SELECT pg_create_logical_replication_slot('datis_orders', 'pgoutput')");

    assertThatThrownBy(() -> pipeline(OffsetStore.postgres(), new InMemorySink()).start())
        .isInstanceOf(SourceException.class)
        .hasMessageMatching(
            "Replication slot 'datis_orders' moved while pipeline 'orders' was stopped \\(from [0-9A-F]+/[0-9A-F]+"
                + " to [0-9A-F]+/[0-9A-F]+\\): it was dropped and recreated, or another client read from it, so"
                + " changes made since this pipeline last ran are gone\\. Fix: .*");
  }

  @Test
  void aSlotLeftAloneWhileStoppedResumesWithEveryChange() {
    OffsetStore file = OffsetStore.file(offsetsDir.resolve("orders.offsets"));
    runOnceAndStop(file);
    pg.execute(
        "INSERT INTO orders VALUES (2)",
        "CREATE TABLE other (id int)",
        "INSERT INTO other VALUES (1)");

    InMemorySink sink = new InMemorySink();
    try (Pipeline resumed = pipeline(file, sink).start()) {
      sink.awaitEvents(
          events ->
              events.stream().anyMatch(event -> event.after().orElseThrow().get("id").equals(2)),
          TIMEOUT);
    }
    assertThat(offsetsDir.resolve("orders.offsets.slot"))
        .content()
        .matches("[0-9A-F]+/[0-9A-F]+ timeline=1\\n");
  }

  @Test
  void aNewPipelineWithoutOffsetsCreatesItsSlotAsUsual() {
    InMemorySink sink = new InMemorySink();
    try (Pipeline fresh = pipeline(OffsetStore.postgres(), sink).start()) {
      pg.execute("INSERT INTO orders VALUES (1)");
      sink.awaitEvents(1, TIMEOUT);
    }
    assertThat(slots()).containsExactly("datis_orders");
  }

  @Test
  void resnapshotNeedsTheInitialSnapshotMode() {
    assertThatThrownBy(
            () ->
                Datis.capture(pg.source())
                    .name("orders")
                    .tables("public.orders")
                    .snapshot(SnapshotMode.CHANGES_ONLY)
                    .resnapshotIfSlotLost()
                    .to(new InMemorySink())
                    .start())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining(
            "resnapshotIfSlotLost() reads the tables again, which snapshot(SnapshotMode.CHANGES_ONLY)"
                + " forbids: use SnapshotMode.INITIAL, or drop resnapshotIfSlotLost()");
  }

  private void runOnceAndStop(OffsetStore offsets) {
    InMemorySink sink = new InMemorySink();
    try (Pipeline first = pipeline(offsets, sink).start()) {
      pg.execute("INSERT INTO orders VALUES (1)");
      sink.awaitEvents(1, TIMEOUT);
    }
  }

  private static PipelineBuilder pipeline(OffsetStore offsets, InMemorySink sink) {
    return Datis.capture(pg.source())
        .name("orders")
        .tables("public.orders")
        .offsets(offsets)
        .to(sink);
  }

  private static List<String> slots() {
    return pg.query("SELECT slot_name FROM pg_replication_slots", row -> row.getString(1));
  }
}
