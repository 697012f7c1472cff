package io.datis.testkit;

import static io.datis.api.event.Operation.DELETE;
import static io.datis.api.event.Operation.INSERT;
import static io.datis.api.event.Operation.UPDATE;
import static io.datis.testkit.DatisAssertions.assertThat;
import static io.datis.testkit.DatisAssertions.assertThatEvents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Position;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DatisAssertionsTest {

  private final ChangeEvent insert =
      ChangeEvents.insert("public.orders")
          .key("id", 10)
          .column("status", "new")
          .column("email", "alice@example.org")
          .position(0x100, 7, 1)
          .build();
  private final ChangeEvent update =
      ChangeEvents.update("public.orders")
          .key("id", 10)
          .before("status", "new")
          .after("status", "paid")
          .unchanged("notes")
          .position(0x1A0, 8, 1)
          .build();
  private final ChangeEvent delete =
      ChangeEvents.delete("public.orders").key("id", 10).position(0x200, 9, 1).build();
  private final ChangeEvent audit =
      ChangeEvents.insert("public.audit")
          .key("id", 1L)
          .column("what", "login")
          .position(0x300, 9, 2)
          .build();

  // ------------------------------------------------------------------ ChangeEventAssert

  @Test
  void passesOnMatchingEvents() {
    assertThat(insert)
        .isInsert()
        .isInsertOf("id", 10)
        .isFor("public.orders")
        .hasAfterColumn("status", "new");
    assertThat(update)
        .isUpdateOf("id", 10)
        .hasKeyColumns("id")
        .hasBeforeColumn("status", "new")
        .hasAfterColumn("status", "paid")
        .hasUnchanged("notes")
        .doesNotHaveColumn("total")
        .doesNotContainValue("alice@example.org")
        .hasPosition(Position.of(0x1A0, 8, 1));
    assertThat(delete).isDeleteOf("id", 10).hasNoAfterImage();
    assertThat(insert).hasNoBeforeImage();
    assertThat(ChangeEvents.truncate("public.orders").build()).isTruncate();
    assertThat(ChangeEvents.snapshotRead("public.orders").build()).isSnapshotRead();
    assertThat(ChangeEvents.insert("public.t").key("id", 1).destination("topic").build())
        .hasDestination("topic");
    assertThat(ChangeEvents.insert("public.t").key("b", new byte[] {1, 2}).build())
        .hasAfterColumn("b", new byte[] {1, 2});
  }

  @Test
  void describesTheEventWhenTheOperationDiffers() {
    assertThatThrownBy(() -> assertThat(insert).isUpdateOf("id", 10))
        .isInstanceOf(AssertionError.class)
        .hasMessage(
            "Expected an UPDATE event, but it is an INSERT:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat(update).isDelete())
        .hasMessage(
            "Expected a DELETE event, but it is an UPDATE:\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1");
  }

  @Test
  void showsOnlyTheAssertedColumn() {
    assertThatThrownBy(() -> assertThat(update).hasAfterColumn("status", "shipped"))
        .hasMessage(
            "Expected after column status = \"shipped\", but it is \"paid\":\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1");
    assertThatThrownBy(() -> assertThat(insert).hasAfterColumn("total", 5))
        .hasMessage(
            "Expected after column total = 5, but the after image has no column total (it has"
                + " [id, status, email]):\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat(insert).hasBeforeColumn("status", "new"))
        .hasMessage(
            "Expected before column status = \"new\", but there is no before image:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
  }

  @Test
  void namesBothTypesWhenValuesPrintTheSame() {
    assertThatThrownBy(() -> assertThat(audit).isInsertOf("id", 1))
        .hasMessage(
            "Expected key id = 1, but it is 1 of type Long, not Integer:\n"
                + "  INSERT public.audit key {id=1} at lsn 0/300 tx 9 #2");
  }

  @Test
  void failsOnAWrongKey() {
    assertThatThrownBy(() -> assertThat(update).isUpdateOf("id", 11))
        .hasMessage(
            "Expected key id = 11, but it is 10:\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1");
    assertThatThrownBy(() -> assertThat(update).hasKey("status", "paid"))
        .hasMessage(
            "Expected key status = \"paid\", but status is not a key column (the key columns are"
                + " [id]):\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1");
  }

  @Test
  void failsOnAColumnThatIsNotUnchanged() {
    assertThatThrownBy(() -> assertThat(update).hasUnchanged("status"))
        .hasMessage(
            "Expected after column status to be unchanged (not sent), but it is \"paid\":\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1");
  }

  @Test
  void namesTheColumnsThatLeakAValue() {
    ChangeEvent leaky =
        ChangeEvents.update("public.customers")
            .key("id", 3)
            .before("email", "bob@example.org")
            .after("email", "bob@example.org")
            .after("aliases", List.of("b", "bob@example.org"))
            .position(0x10, 2, 1)
            .build();

    assertThatThrownBy(() -> assertThat(leaky).doesNotContainValue("bob@example.org"))
        .hasMessage(
            "Expected no column to hold \"bob@example.org\", but before column email, after column"
                + " email, after column aliases does:\n"
                + "  UPDATE public.customers key {id=3} at lsn 0/10 tx 2 #1");
  }

  @Test
  void failsOnTableImagesPositionAndDestination() {
    assertThatThrownBy(() -> assertThat(insert).isFor("public.audit"))
        .hasMessage(
            "Expected an event for public.audit, but it is for public.orders:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat(update).hasNoBeforeImage())
        .hasMessage(
            "Expected no before image, but there is one with the columns [id, status]:\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1");
    assertThatThrownBy(() -> assertThat(insert).doesNotHaveColumn("email"))
        .hasMessage(
            "Expected no column email, but the after image has it:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat(insert).hasPosition(Position.of(0x100, 7, 2)))
        .hasMessage(
            "Expected the position lsn 0/100 tx 7 #2, but it is lsn 0/100 tx 7 #1:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat(insert).hasDestination("orders"))
        .hasMessage(
            "Expected the destination \"orders\", but there is none:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
  }

  @Test
  void prefixesTheDescriptionAndRejectsNull() {
    assertThatThrownBy(() -> assertThat(insert).as("first event").isDelete())
        .hasMessage(
            "[first event] Expected a DELETE event, but it is an INSERT:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat((ChangeEvent) null).isInsert())
        .hasMessageContaining("Expecting actual not to be null");
  }

  @Test
  void showsBytesInHex() {
    ChangeEvent bytes =
        ChangeEvents.insert("public.files")
            .key("id", 1)
            .column("data", new byte[] {1, (byte) 0xAB})
            .position(0x8, 1, 1)
            .build();

    assertThatThrownBy(() -> assertThat(bytes).hasAfterColumn("data", new byte[] {1}))
        .hasMessage(
            "Expected after column data = byte[1] 0x01, but it is byte[2] 0x01ab:\n"
                + "  INSERT public.files key {id=1} at lsn 0/8 tx 1 #1");
  }

  // ------------------------------------------------------------------ InMemorySinkAssert

  @Test
  void passesOnWhatTheSinkReceived() {
    InMemorySink sink = sinkWith(insert, audit, update, delete);

    assertThat(sink).hasNoEventsFor("public.payments");
    assertThat(sink).receivedFor("public.orders").containsOperationsInOrder(INSERT, UPDATE);
    assertThat(sink).receivedFor("public.orders").containsOperationsInOrder(INSERT, DELETE);
    assertThat(sink).receivedFor("public.orders").hasOperations(INSERT, UPDATE, DELETE).hasSize(3);
    assertThat(sink).receivedFor("public.orders").forKey("id", 10).last().isDeleteOf("id", 10);
    assertThat(sink).receivedFor("public.orders").first().isInsert();
    assertThat(sink).receivedFor("public.orders").element(1).isUpdate();
    assertThat(sink).receivedFor("public.orders").forKey("id", 11).isEmpty();
    assertThat(sink).received().hasSize(4);
    assertThat(new InMemorySink()).hasNoEvents();
    assertThatEvents(List.of(insert, insert, update)).containsOperationsInOrder(INSERT, UPDATE);
  }

  @Test
  void listsTheEventsOfTheTableThatShouldHaveNone() {
    InMemorySink sink = sinkWith(insert, audit);

    assertThatThrownBy(() -> assertThat(sink).hasNoEventsFor("public.audit"))
        .hasMessage(
            "Expected no events for public.audit, but the sink has 1:\n"
                + "  INSERT public.audit key {id=1} at lsn 0/300 tx 9 #2");
    assertThatThrownBy(() -> assertThat(sink).hasNoEvents())
        .hasMessage(
            "Expected no events, but the sink has 2:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1\n"
                + "  INSERT public.audit key {id=1} at lsn 0/300 tx 9 #2");
  }

  @Test
  void listsTheEventsWhenOperationsDiffer() {
    InMemorySink sink = sinkWith(update, insert);

    assertThatThrownBy(
            () ->
                assertThat(sink)
                    .receivedFor("public.orders")
                    .containsOperationsInOrder(INSERT, UPDATE))
        .hasMessage(
            "Expected the events for public.orders to contain the operations [INSERT, UPDATE] in"
                + " this order, but their operations are [UPDATE, INSERT]:\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat(sink).receivedFor("public.orders").hasOperations(UPDATE))
        .hasMessage(
            "Expected the events for public.orders to have exactly the operations [UPDATE], but"
                + " they are [UPDATE, INSERT]:\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat(sink).receivedFor("public.audit").hasSize(1))
        .hasMessage("Expected 1 events for public.audit, but there are none");
    assertThatThrownBy(
            () -> assertThat(sink).receivedFor("public.orders").forKey("id", 10).isEmpty())
        .hasMessage(
            "Expected no events for public.orders with key id=10, but there are 2:\n"
                + "  UPDATE public.orders key {id=10} at lsn 0/1A0 tx 8 #1\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> assertThat(sink).receivedFor("public.audit").first())
        .hasMessage(
            "Expected an event at index 0 among the events for public.audit, but there are none");
  }

  @Test
  void shortensLongLists() {
    List<ChangeEvent> many = new ArrayList<>();
    for (int i = 1; i <= 25; i++) {
      many.add(ChangeEvents.insert("public.orders").key("id", i).position(i * 16L, i, 1).build());
    }

    assertThatThrownBy(() -> assertThatEvents(many).isEmpty())
        .hasMessageStartingWith(
            "Expected no events, but there are 25:\n"
                + "  INSERT public.orders key {id=1} at lsn 0/10 tx 1 #1\n")
        .hasMessageEndingWith(
            "\n  INSERT public.orders key {id=20} at lsn 0/140 tx 20 #1\n  ... and 5 more");
  }

  // ------------------------------------------------------------------ awaiting

  @Test
  void awaitsEventsForOneTable() {
    InMemorySink sink = new InMemorySink();
    sink.deliver(List.of(audit));
    CompletableFuture.runAsync(
        () -> sink.deliver(List.of(insert, update)),
        CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));

    List<ChangeEvent> orders = sink.awaitEvents("public.orders", 2, Duration.ofSeconds(5));

    assertThat(orders).containsExactly(insert, update);
  }

  @Test
  void awaitsEventsForOneTableAndOperation() {
    InMemorySink sink = sinkWith(insert, audit);
    CompletableFuture.runAsync(
        () -> sink.deliver(List.of(update)),
        CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS));

    List<ChangeEvent> updates = sink.awaitEvents("public.orders", UPDATE, 1, Duration.ofSeconds(5));

    assertThat(updates).containsExactly(update);
    assertThat(sink.events("public.orders")).containsExactly(insert, update);
  }

  @Test
  void saysWhatArrivedWhenAwaitingTimesOut() {
    InMemorySink sink = sinkWith(insert, audit);

    assertThatThrownBy(() -> sink.awaitEvents("public.orders", 3, Duration.ofMillis(50)))
        .isInstanceOf(AssertionError.class)
        .hasMessage(
            "InMemorySink did not receive 3 events of public.orders within PT0.05S: it has 1 of"
                + " them and 1 other events:\n"
                + "  INSERT public.orders key {id=10} at lsn 0/100 tx 7 #1");
    assertThatThrownBy(() -> sink.awaitEvents("public.orders", DELETE, 1, Duration.ofMillis(50)))
        .isInstanceOf(AssertionError.class)
        .hasMessage(
            "InMemorySink did not receive 1 DELETE events of public.orders within PT0.05S: it has 0"
                + " of them and 2 other events");
  }

  @Test
  void aTableNameWithoutSchemaIsRejected() {
    assertThatThrownBy(() -> new InMemorySink().awaitEvents("orders", 1, Duration.ofMillis(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static InMemorySink sinkWith(ChangeEvent... events) {
    InMemorySink sink = new InMemorySink();
    sink.deliver(List.of(events));
    return sink;
  }
}
