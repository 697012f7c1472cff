package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.TransformException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransformChainTest {

  private static final TableId ORDERS = TableId.of("public", "orders");
  private static final ChangeEvent INSERT =
      ChangeEvent.builder(Operation.INSERT, ORDERS)
          .keyColumns(List.of("id"))
          .after(Map.of("id", 1, "card", "4111-secret"))
          .position(Position.of(0x16B3748L, 571, 0))
          .commitTime(Instant.parse("2026-12-04T10:00:00Z"))
          .build();

  @Test
  void transformsRunInTheOrderTheyWereAddedAndADropEndsTheChain() {
    List<String> ran = new ArrayList<>();
    Transform mask =
        event -> {
          ran.add("mask");
          return TransformResult.replace(
              event.toBuilder().after(Map.of("id", 1, "card", "****")).build());
        };
    Transform check =
        event -> {
          ran.add("check:" + event.after().orElseThrow().get("card"));
          return TransformResult.keep();
        };

    ChangeEvent result = new TransformChain(List.of(mask, check)).apply(INSERT);
    ChangeEvent dropped =
        new TransformChain(List.of(event -> TransformResult.drop(), check)).apply(INSERT);

    assertThat(ran).containsExactly("mask", "check:****");
    assertThat(result.after().orElseThrow()).containsEntry("card", "****");
    assertThat(dropped).isNull();
  }

  @Test
  void aTransformThatThrowsIsNamedWithTheEventsPositionButNotItsValues() {
    IllegalStateException broken = new IllegalStateException("card 4111-secret is invalid");
    Transform throwing =
        event -> {
          throw broken;
        };

    assertThatThrownBy(
            () ->
                new TransformChain(List.of(event -> TransformResult.keep(), throwing))
                    .apply(INSERT))
        .isInstanceOfSatisfying(
            TransformException.class,
            e -> {
              assertThat(e.table()).isEqualTo(ORDERS);
              assertThat(e.position()).isEqualTo(INSERT.position());
              assertThat(e.getCause()).isSameAs(broken);
            })
        .hasMessageStartingWith("Transform #2 '")
        .hasMessageContaining("failed on INSERT of public.orders at ")
        .hasMessageEndingWith("threw java.lang.IllegalStateException (the cause holds its message)")
        .hasMessageNotContaining("4111");
  }

  @Test
  void aTransformThatReturnsNullIsToldWhatToReturnInstead() {
    assertThatThrownBy(() -> new TransformChain(List.of(event -> null)).apply(INSERT))
        .isInstanceOf(TransformException.class)
        .hasNoCause()
        .hasMessageEndingWith(
            "returned null; return TransformResult.keep(), replace(event) or drop() instead");
  }
}
