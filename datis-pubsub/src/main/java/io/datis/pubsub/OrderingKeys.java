package io.datis.pubsub;

import io.datis.api.event.ChangeEvent;
import io.datis.pubsub.internal.OrderingKeySupport;
import java.util.Objects;
import java.util.function.Function;

/**
 * How the Pub/Sub sink chooses each message's <a
 * href="https://cloud.google.com/pubsub/docs/ordering">ordering key</a>. Pub/Sub delivers messages
 * with the same ordering key in the order they were published (when the subscription has message
 * ordering enabled); messages with different keys, or with no key, may arrive in any order.
 *
 * <ul>
 *   <li>{@link #tableAndPrimaryKey()} (the default): one key per row, so each row's changes stay in
 *       order while different rows are delivered in parallel.
 *   <li>{@link #none()}: no ordering key; the fastest, with no order at all.
 *   <li>{@link #of(Function)}: your own key, e.g. {@code event -> event.table().toString()} to keep
 *       each table in order.
 * </ul>
 *
 * <p>Pub/Sub limits ordering keys to 1,024 bytes of UTF-8. A longer key, from any strategy, is
 * replaced by {@code schema.table:sha256:<hex>}, the table followed by the SHA-256 of the full key
 * in 64 lower-case hexadecimal digits: deterministic, so a row still always gets the same key.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class OrderingKeys {

  private static final OrderingKeys TABLE_AND_PRIMARY_KEY =
      new OrderingKeys("tableAndPrimaryKey", OrderingKeySupport::tableAndKey);
  private static final OrderingKeys NONE = new OrderingKeys("none", event -> "");

  private final String description;
  private final Function<? super ChangeEvent, String> function;

  private OrderingKeys(String description, Function<? super ChangeEvent, String> function) {
    this.description = description;
    this.function = function;
  }

  /**
   * The table and the row's key values (the default). The key is {@code schema.table:} followed by
   * the key column values, in key order, as a compact JSON array written like the values in the
   * messages (see {@link MessageFormat}):
   *
   * <table>
   *   <caption>Examples</caption>
   *   <tr><th>Event</th><th>Ordering key</th></tr>
   *   <tr><td>{@code public.orders}, key {@code id = 10}</td>
   *       <td>{@code public.orders:[10]}</td></tr>
   *   <tr><td>{@code public.order_lines}, key {@code (order_id, line) = (10, 'A-1')}</td>
   *       <td>{@code public.order_lines:[10,"A-1"]}</td></tr>
   *   <tr><td>{@code public.prices}, key {@code sku = 7} ({@code numeric})</td>
   *       <td>{@code public.prices:["7"]}</td></tr>
   *   <tr><td>{@code public.audit_log}, a table without key columns</td>
   *       <td>{@code public.audit_log}</td></tr>
   *   <tr><td>a {@code TRUNCATE}</td><td>none ({@code ""})</td></tr>
   * </table>
   *
   * <p>The key values come from the {@code after} image, or from {@code before} for a delete. An
   * update that changes a row's key therefore gets the new key's ordering key. A table without key
   * columns (and a replica identity without a key) is kept in order as a whole. Truncates get no
   * ordering key, so they are not ordered against the table's row changes.
   */
  public static OrderingKeys tableAndPrimaryKey() {
    return TABLE_AND_PRIMARY_KEY;
  }

  /**
   * The table and one of {@code buckets} buckets the row's key hashes to, such as {@code
   * public.orders#17}: every change of a row gets the same bucket, so each row's changes stay in
   * order as with {@link #tableAndPrimaryKey()}, while the client can batch the many rows of a
   * bucket into one Publish request instead of sending one request per row. Faster under load (see
   * the benchmark in the project's README); the price is that rows sharing a bucket are also
   * delivered in order relative to each other, which limits a subscriber's parallelism per table to
   * {@code buckets}. Truncates get no ordering key.
   *
   * <pre>{@code
   * PubSubSink.builder("my-project", "orders-cdc").orderingKeys(OrderingKeys.tableAndKeyBucket(64)).build();
   * }</pre>
   *
   * @param buckets from 1 (each table in order as a whole) to 10,000
   * @throws IllegalArgumentException if {@code buckets} is out of range
   */
  public static OrderingKeys tableAndKeyBucket(int buckets) {
    if (buckets < 1 || buckets > 10_000) {
      throw new IllegalArgumentException("buckets must be from 1 to 10,000, but was " + buckets);
    }
    return new OrderingKeys(
        "tableAndKeyBucket(" + buckets + ")",
        event -> {
          String rowKey = OrderingKeySupport.tableAndKey(event);
          if (rowKey.isEmpty()) {
            return rowKey;
          }
          // String.hashCode is specified, so a row's bucket is the same in every JVM and release.
          return event.table() + "#" + Math.floorMod(rowKey.hashCode(), buckets);
        });
  }

  /** No ordering key: messages may be delivered in any order. */
  public static OrderingKeys none() {
    return NONE;
  }

  /**
   * Your own ordering key. The function gets every event and returns its key, or {@code ""} for
   * none; it must not return {@code null}. Keys over 1,024 bytes are hashed as described above.
   */
  public static OrderingKeys of(Function<? super ChangeEvent, String> function) {
    Objects.requireNonNull(function, "function");
    return new OrderingKeys("of(" + function + ")", function);
  }

  /**
   * The ordering key of the event, at most 1,024 bytes of UTF-8.
   *
   * @throws IllegalStateException if a custom function returned {@code null}
   */
  String keyFor(ChangeEvent event) {
    String key = function.apply(event);
    if (key == null) {
      throw new IllegalStateException(
          "The ordering key function "
              + function
              + " returned null for "
              + event
              + "; return \"\" for no ordering key");
    }
    return OrderingKeySupport.fit(event.table(), key);
  }

  /** For example {@code OrderingKeys.tableAndPrimaryKey()}. */
  @Override
  public String toString() {
    return "OrderingKeys." + description + (description.endsWith(")") ? "" : "()");
  }
}
