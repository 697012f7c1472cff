package io.datis.api.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ready-made transforms, tested on events built without a database. */
class TransformsTest {

  private static ChangeEvent update(
      String table, Map<String, Object> before, Map<String, Object> after) {
    return ChangeEvent.builder(Operation.UPDATE, TableId.parse(table))
        .keyColumns(java.util.List.of("id"))
        .before(before)
        .after(after)
        .position(Position.of(0x16B3748L, 571, 3))
        .commitTime(Instant.parse("2026-01-01T00:00:00Z"))
        .build();
  }

  private static Map<String, Object> row(Object... keysAndValues) {
    Map<String, Object> row = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      row.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return row;
  }

  private static final ChangeEvent USER =
      update(
          "public.users",
          row("id", 1, "email", "a@example.com", "notes", "old"),
          row("id", 1, "email", "b@example.com", "notes", Unchanged.VALUE));

  @Test
  void filterKeepsMatchingEventsAndDropsOthers() throws Exception {
    assertThat(passedOn(Transforms.filter(e -> true))).isSameAs(USER);
    assertThat(Transforms.filter(e -> false).apply(USER).isDrop()).isTrue();
  }

  @Test
  void dropColumnsRemovesThemFromBothImagesKeepingColumnOrder() throws Exception {
    ChangeEvent result = passedOn(Transforms.dropColumns("email"));

    assertThat(result.before().orElseThrow())
        .containsExactly(Map.entry("id", 1), Map.entry("notes", "old"));
    assertThat(result.after().orElseThrow())
        .containsExactly(Map.entry("id", 1), Map.entry("notes", Unchanged.VALUE));
    assertThat(result.keyColumns()).containsExactly("id");
  }

  @Test
  void droppingAKeyColumnRemovesItFromTheKey() throws Exception {
    ChangeEvent result = passedOn(Transforms.dropColumns("id"));

    assertThat(result.keyColumns()).isEmpty();
    assertThat(result.key()).isEmpty();
  }

  @Test
  void hashColumnsReplacesValuesWithSha256HexAndLeavesUnchangedAndNullAlone() throws Exception {
    ChangeEvent result = passedOn(Transforms.hashColumns("email", "notes"));

    assertThat(result.after().orElseThrow().get("email")).isEqualTo(sha("b@example.com"));
    assertThat(result.before().orElseThrow().get("email")).isEqualTo(sha("a@example.com"));
    assertThat(result.after().orElseThrow().get("notes")).isSameAs(Unchanged.VALUE);
    assertThat((String) result.before().orElseThrow().get("notes")).hasSize(64).isNotEqualTo("old");
  }

  @Test
  void forTablesAppliesOnlyToTheNamedTables() throws Exception {
    Transform dropAll = Transforms.forTables(Transforms.filter(e -> false), "public.orders");

    assertThat(dropAll.apply(USER).isDrop()).isFalse();
    assertThat(dropAll.name()).isEqualTo("filter for [public.orders]");
  }

  @Test
  void routeSetsTheDestinationFromTheEvent() throws Exception {
    ChangeEvent routed = passedOn(Transforms.route(e -> "cdc." + e.table().table()));

    assertThat(routed.destination()).contains("cdc.users");
    assertThat(passedOn(Transforms.destination("all")).destination()).contains("all");
  }

  @Test
  void transformsHaveReadableNames() {
    assertThat(Transforms.dropColumns("a", "b").name()).isEqualTo("dropColumns[a, b]");
    assertThat(Transforms.hashColumns("email").name()).isEqualTo("hashColumns[email]");
    assertThat(Transforms.named("pii", e -> TransformResult.keep()).name()).isEqualTo("pii");
  }

  @Test
  void eventsNeverPrintRowValues() {
    assertThat(USER.toString())
        .isEqualTo("UPDATE public.users [id, email, notes] at lsn 0/16B3748 tx 571 #3")
        .doesNotContain("example.com");
  }

  @Test
  void eventBuilderRejectsImagesThatDoNotFitTheOperation() {
    assertThatThrownBy(
            () ->
                ChangeEvent.builder(Operation.DELETE, TableId.parse("public.users"))
                    .after(row("id", 1))
                    .position(Position.of(1, 1, 1))
                    .commitTime(Instant.EPOCH)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "Invalid DELETE event on public.users: DELETE needs a before image; DELETE has no after image");
  }

  /** The event {@code transform} passes on for {@link #USER}; fails if it drops it. */
  private static ChangeEvent passedOn(Transform transform) throws Exception {
    TransformResult result = transform.apply(USER);
    assertThat(result.isDrop()).as("%s drops the event", transform.name()).isFalse();
    return result.replacement().orElse(USER);
  }

  private static String sha(String text) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }
}
