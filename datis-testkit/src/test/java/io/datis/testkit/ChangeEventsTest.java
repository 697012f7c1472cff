package io.datis.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeEventsTest {

  @Test
  void buildsAnInsertWithTheKeyFirstInTheAfterImage() {
    ChangeEvent event =
        ChangeEvents.insert("public.orders").column("status", "new").key("id", 10).build();

    assertThat(event.operation()).isEqualTo(Operation.INSERT);
    assertThat(event.table()).isEqualTo(TableId.of("public", "orders"));
    assertThat(event.keyColumns()).containsExactly("id");
    assertThat(event.key()).isEqualTo(Map.of("id", 10));
    assertThat(event.after().orElseThrow())
        .containsExactly(entry("id", 10), entry("status", "new"));
    assertThat(event.before()).isEmpty();
    assertThat(event.destination()).isEmpty();
  }

  @Test
  void buildsAnUpdateWithoutBeforeImageUnlessOneIsGiven() {
    ChangeEvent withoutBefore =
        ChangeEvents.update("public.orders").key("id", 10).after("status", "paid").build();
    ChangeEvent withBefore =
        ChangeEvents.update("public.orders")
            .key("id", 10)
            .before("status", "new")
            .after("status", "paid")
            .unchanged("notes")
            .build();

    assertThat(withoutBefore.before()).isEmpty();
    assertThat(withoutBefore.after().orElseThrow())
        .containsExactly(entry("id", 10), entry("status", "paid"));
    assertThat(withBefore.before().orElseThrow())
        .containsExactly(entry("id", 10), entry("status", "new"));
    assertThat(withBefore.after().orElseThrow())
        .containsExactly(entry("id", 10), entry("status", "paid"), entry("notes", Unchanged.VALUE));
  }

  @Test
  void aKeyGivenInTheBeforeImageOverridesTheKeyValueThere() {
    ChangeEvent event = ChangeEvents.update("public.orders").key("id", 11).before("id", 10).build();

    assertThat(event.before().orElseThrow()).containsExactly(entry("id", 10));
    assertThat(event.after().orElseThrow()).containsExactly(entry("id", 11));
    assertThat(event.key()).isEqualTo(Map.of("id", 11));
  }

  @Test
  void buildsADeleteWhoseColumnsGoToTheBeforeImage() {
    ChangeEvent keyOnly = ChangeEvents.delete("public.orders").key("id", 10).build();
    ChangeEvent full =
        ChangeEvents.delete("public.orders").key("id", 10).column("status", "paid").build();

    assertThat(keyOnly.before().orElseThrow()).containsExactly(entry("id", 10));
    assertThat(keyOnly.after()).isEmpty();
    assertThat(full.before().orElseThrow())
        .containsExactly(entry("id", 10), entry("status", "paid"));
    assertThat(full.key()).isEqualTo(Map.of("id", 10));
  }

  @Test
  void buildsATruncateWithoutImagesOrKey() {
    ChangeEvent event = ChangeEvents.truncate("public.orders").build();

    assertThat(event.operation()).isEqualTo(Operation.TRUNCATE);
    assertThat(event.before()).isEmpty();
    assertThat(event.after()).isEmpty();
    assertThat(event.keyColumns()).isEmpty();
  }

  @Test
  void buildsSnapshotReadsWithTransactionZero() {
    ChangeEvent event = ChangeEvents.snapshotRead("public.orders").key("id", 1).build();

    assertThat(event.operation()).isEqualTo(Operation.SNAPSHOT_READ);
    assertThat(event.position().transactionId()).isZero();
    assertThat(event.after().orElseThrow()).containsExactly(entry("id", 1));
  }

  @Test
  void givesEachBuilderTheNextPositionAndCommitTime() {
    ChangeEvent first = ChangeEvents.insert("public.orders").key("id", 1).build();
    ChangeEvent second = ChangeEvents.insert("public.orders").key("id", 2).build();

    assertThat(second.position()).isGreaterThan(first.position());
    assertThat(second.position().lsn() - first.position().lsn()).isPositive();
    assertThat(first.position().sequence()).isEqualTo(1);
    assertThat(second.commitTime()).isAfter(first.commitTime());
    assertThat(first.commitTime()).isAfter(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void takesAnExplicitPositionCommitTimeAndDestination() {
    ChangeEvent event =
        ChangeEvents.insert("public.orders")
            .key("id", 1)
            .position(0x16B3748L, 571, 3)
            .commitTime(Instant.parse("2026-05-01T12:00:00Z"))
            .destination("orders-topic")
            .build();

    assertThat(event.position()).isEqualTo(Position.of(0x16B3748L, 571, 3));
    assertThat(event.commitTime()).isEqualTo(Instant.parse("2026-05-01T12:00:00Z"));
    assertThat(event.destination()).contains("orders-topic");
    assertThat(event)
        .hasToString("INSERT public.orders [id] at lsn 0/16B3748 tx 571 #3 to orders-topic");
  }

  @Test
  void keepsNullValues() {
    ChangeEvent event =
        ChangeEvents.insert("public.orders").key("id", 1).column("notes", null).build();

    assertThat(event.after().orElseThrow()).containsEntry("notes", null);
  }

  @Test
  void refusesImagesTheOperationDoesNotHave() {
    assertThatThrownBy(() -> ChangeEvents.insert("public.orders").before("id", 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("An INSERT event has no before image: only UPDATE and DELETE events do");
    assertThatThrownBy(() -> ChangeEvents.delete("public.orders").after("id", 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("A DELETE event has no after image");
    assertThatThrownBy(() -> ChangeEvents.truncate("public.orders").key("id", 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("A TRUNCATE event has no row images, so no columns");
    assertThatThrownBy(() -> ChangeEvents.insert("public.orders").unchanged("notes"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Only UPDATE events have unchanged columns, not INSERT");
  }

  @Test
  void refusesTableNamesWithoutSchema() {
    assertThatThrownBy(() -> ChangeEvents.insert("orders"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Table name 'orders' is not schema-qualified: write it as schema.table, e.g."
                + " 'public.orders'");
  }

  @Test
  void buildsEventsThatTransformsCanCopy() {
    ChangeEvent event =
        ChangeEvents.update("public.orders").key("id", 1).column("status", "x").build();

    assertThat(event.toBuilder().build()).isEqualTo(event);
    assertThat(List.of(event)).containsExactly(event);
  }

  private static Map.Entry<String, Object> entry(String column, Object value) {
    return Map.entry(column, value);
  }
}
