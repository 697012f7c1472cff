package io.datis.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class OrderingKeysTest {

  private static ChangeEvent change(
      Operation operation,
      String table,
      List<String> keyColumns,
      @Nullable Map<String, ? extends @Nullable Object> before,
      @Nullable Map<String, ? extends @Nullable Object> after) {
    return ChangeEvent.builder(operation, TableId.parse(table))
        .keyColumns(keyColumns)
        .before(before)
        .after(after)
        .position(Position.of(0x16B3748L, 571, 3))
        .commitTime(Instant.parse("2026-01-02T03:04:05Z"))
        .build();
  }

  private static ChangeEvent insert(String table, List<String> keyColumns, Map<String, ?> row) {
    return change(Operation.INSERT, table, keyColumns, null, row);
  }

  @Test
  void theDefaultKeyIsTheTableAndThePrimaryKeyValues() {
    ChangeEvent insert = insert("public.orders", List.of("id"), Map.of("id", 10L, "status", "new"));

    assertThat(OrderingKeys.tableAndPrimaryKey().keyFor(insert)).isEqualTo("public.orders:[10]");
  }

  @Test
  void bucketKeysAreTheTableAndAStableBucketOfTheRowKey() {
    OrderingKeys buckets = OrderingKeys.tableAndKeyBucket(64);
    ChangeEvent insert = insert("public.orders", List.of("id"), Map.of("id", 10L, "status", "new"));
    ChangeEvent delete =
        change(Operation.DELETE, "public.orders", List.of("id"), Map.of("id", 10L), null);

    String key = buckets.keyFor(insert);
    assertThat(key)
        .isEqualTo("public.orders#" + Math.floorMod("public.orders:[10]".hashCode(), 64));
    assertThat(buckets.keyFor(delete)).as("every change of a row, the same bucket").isEqualTo(key);
    assertThat(
            java.util.stream.LongStream.range(0, 10_000)
                .mapToObj(
                    id -> buckets.keyFor(insert("public.orders", List.of("id"), Map.of("id", id))))
                .distinct()
                .count())
        .as("rows spread over all buckets")
        .isEqualTo(64);
    assertThat(OrderingKeys.tableAndKeyBucket(1).keyFor(insert)).isEqualTo("public.orders#0");
    assertThat(buckets).hasToString("OrderingKeys.tableAndKeyBucket(64)");
    assertThatThrownBy(() -> OrderingKeys.tableAndKeyBucket(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("buckets must be from 1 to 10,000, but was 0");
  }

  @Test
  void aCompositeKeyListsItsValuesInKeyOrderAsJson() {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("line", "A-\"1\"");
    row.put("order_id", 10);
    row.put("price", new BigDecimal("7.50"));
    row.put("ref", UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
    ChangeEvent insert =
        insert("sales.order_lines", List.of("order_id", "line", "price", "ref"), row);

    assertThat(OrderingKeys.tableAndPrimaryKey().keyFor(insert))
        .isEqualTo(
            "sales.order_lines:[10,\"A-\\\"1\\\"\",\"7.50\",\"1b4e28ba-2fa1-11d2-883f-0016d3cca427\"]");
  }

  @Test
  void aDeleteTakesItsKeyFromTheBeforeImage() {
    ChangeEvent delete =
        change(Operation.DELETE, "public.orders", List.of("id"), Map.of("id", 10L), null);

    assertThat(OrderingKeys.tableAndPrimaryKey().keyFor(delete)).isEqualTo("public.orders:[10]");
  }

  @Test
  void aTableWithoutKeyColumnsIsOrderedAsAWhole() {
    ChangeEvent insert = insert("public.audit_log", List.of(), Map.of("message", "hello"));

    assertThat(OrderingKeys.tableAndPrimaryKey().keyFor(insert)).isEqualTo("public.audit_log");
  }

  @Test
  void aTruncateGetsNoKey() {
    ChangeEvent truncate = change(Operation.TRUNCATE, "public.orders", List.of(), null, null);

    assertThat(OrderingKeys.tableAndPrimaryKey().keyFor(truncate)).isEmpty();
  }

  @Test
  void aKeyOverTheLimitIsReplacedByTheTableAndItsSha256() throws Exception {
    String longId = "x".repeat(1_100);
    ChangeEvent insert = insert("public.files", List.of("path"), Map.of("path", longId));
    String fullKey = "public.files:[\"" + longId + "\"]";
    String expectedHash =
        HexFormat.of()
            .formatHex(
                MessageDigest.getInstance("SHA-256")
                    .digest(fullKey.getBytes(StandardCharsets.UTF_8)));

    String key = OrderingKeys.tableAndPrimaryKey().keyFor(insert);

    assertThat(key).isEqualTo("public.files:sha256:" + expectedHash).hasSize(84);
    assertThat(OrderingKeys.tableAndPrimaryKey().keyFor(insert)).isEqualTo(key);
    ChangeEvent other = insert("public.files", List.of("path"), Map.of("path", longId + "y"));
    assertThat(OrderingKeys.tableAndPrimaryKey().keyFor(other))
        .startsWith("public.files:sha256:")
        .isNotEqualTo(key);
  }

  @Test
  void theLimitCountsUtf8BytesNotCharacters() {
    // "public.t:[\"" is 11 bytes and "\"]" 2: 1,011 bytes are left for the value.
    String fits = "a".repeat(1_011);
    String twoByteChars = "é".repeat(506); // 1,012 bytes in 506 characters

    assertThat(
            OrderingKeys.tableAndPrimaryKey()
                .keyFor(insert("public.t", List.of("k"), Map.of("k", fits))))
        .hasSize(1_024)
        .endsWith("a\"]");
    assertThat(
            OrderingKeys.tableAndPrimaryKey()
                .keyFor(insert("public.t", List.of("k"), Map.of("k", twoByteChars))))
        .startsWith("public.t:sha256:");
  }

  @Test
  void noneGivesNoKey() {
    ChangeEvent insert = insert("public.orders", List.of("id"), Map.of("id", 10L));

    assertThat(OrderingKeys.none().keyFor(insert)).isEmpty();
    assertThat(OrderingKeys.none()).hasToString("OrderingKeys.none()");
  }

  @Test
  void aCustomFunctionChoosesTheKeyAndLongKeysAreStillHashed() {
    OrderingKeys perTable = OrderingKeys.of(event -> event.table().toString());
    OrderingKeys huge = OrderingKeys.of(event -> "k".repeat(2_000));
    ChangeEvent insert = insert("public.orders", List.of("id"), Map.of("id", 10L));

    assertThat(perTable.keyFor(insert)).isEqualTo("public.orders");
    assertThat(huge.keyFor(insert)).startsWith("public.orders:sha256:").hasSize(85);
  }

  @Test
  void aCustomFunctionReturningNullFailsWithTheFix() {
    Function<ChangeEvent, String> broken =
        new Function<>() {
          @Override
          public String apply(ChangeEvent event) {
            return null;
          }

          @Override
          public String toString() {
            return "byTenant";
          }
        };
    ChangeEvent insert = insert("public.orders", List.of("id"), Map.of("id", 10L));

    assertThatThrownBy(() -> OrderingKeys.of(broken).keyFor(insert))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "The ordering key function byTenant returned null for INSERT public.orders [id] at lsn"
                + " 0/16B3748 tx 571 #3; return \"\" for no ordering key");
  }

  @Test
  void describesItself() {
    assertThat(OrderingKeys.tableAndPrimaryKey()).hasToString("OrderingKeys.tableAndPrimaryKey()");
  }
}
