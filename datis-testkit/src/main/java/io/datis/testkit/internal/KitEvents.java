package io.datis.testkit.internal;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.testkit.ChangeEventArbitraries;
import io.datis.testkit.ChangeEvents;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The events that {@code SinkCompatibilityKit} delivers: the changes of rows of {@code
 * datis_kit.orders} and {@code datis_kit.customers} (with a composite key) in commit order, events
 * with every value type on {@code datis_kit.values}, and generated ones, each with a position of
 * its own.
 *
 * <p>Not supported API: used by {@code SinkCompatibilityKit} only.
 */
public final class KitEvents {

  /** A table with the key {@code id}. */
  public static final TableId ORDERS = TableId.of("datis_kit", "orders");

  /** A table with the key {@code tenant, id}. */
  public static final TableId CUSTOMERS = TableId.of("datis_kit", "customers");

  private static final AtomicLong GENERATED_LSN = new AtomicLong(1L << 44);

  private KitEvents() {}

  /**
   * For each of {@code rows} rows: an insert, {@code updates} updates and a delete, interleaved
   * across rows in commit order.
   */
  public static List<ChangeEvent> rowChanges(TableId table, int rows, int updates) {
    String name = table.toString();
    boolean composite = table.equals(CUSTOMERS);
    List<ChangeEvent> events = new ArrayList<>();
    for (int version = 0; version <= updates + 1; version++) {
      for (long row = 1; row <= rows; row++) {
        ChangeEvents.Builder event;
        if (version == 0) {
          event = ChangeEvents.insert(name).column("status", "new");
        } else if (version <= updates) {
          event = ChangeEvents.update(name).column("status", "v" + version);
        } else {
          event = ChangeEvents.delete(name);
        }
        if (composite) {
          event.key("tenant", "t" + (row % 3));
        }
        events.add(event.key("id", row).build());
      }
    }
    return List.copyOf(events);
  }

  /** The events in batches of {@code size} (the last one smaller), in order. */
  public static List<List<ChangeEvent>> split(List<ChangeEvent> events, int size) {
    List<List<ChangeEvent>> batches = new ArrayList<>();
    for (int from = 0; from < events.size(); from += size) {
      batches.add(List.copyOf(events.subList(from, Math.min(events.size(), from + size))));
    }
    return batches;
  }

  /** The events of all batches, in order. */
  public static List<ChangeEvent> flatten(List<List<ChangeEvent>> batches) {
    List<ChangeEvent> all = new ArrayList<>();
    batches.forEach(all::addAll);
    return all;
  }

  /** Hand-built events holding every value type Datis emits, and edge cases of images. */
  public static List<ChangeEvent> everyValueType() {
    String values = "datis_kit.values";
    List<@Nullable Object> array = new ArrayList<@Nullable Object>(Arrays.asList(1, null, 3));
    Map<String, @Nullable Object> row = new LinkedHashMap<>();
    row.put("small", (short) -7);
    row.put("int", Integer.MIN_VALUE);
    row.put("big", Long.MAX_VALUE);
    row.put("numeric", new BigDecimal("-" + "9".repeat(120) + "." + "1".repeat(40)));
    row.put("real", Float.NaN);
    row.put("double", Double.NEGATIVE_INFINITY);
    row.put("flag", true);
    row.put("text", "naïve café 😀 \"quoted\" \\ \n\t 名前 שלום");
    row.put("id_uuid", UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
    row.put("doc", Json.of("{\"a\":[1,2.5,\"x\",null,true],\"b\":{\"c\":\"ü\"}}"));
    row.put("bytes", new byte[] {0, 1, (byte) 0xFF, 127, -128});
    row.put("day", LocalDate.of(-4712, 1, 1));
    row.put("time", LocalTime.of(23, 59, 59, 999_999_000));
    row.put(
        "timetz", OffsetTime.of(LocalTime.of(1, 2, 3, 4_000), ZoneOffset.ofHoursMinutes(-15, -59)));
    row.put("stamp", LocalDateTime.of(294276, 12, 31, 23, 59, 59, 999_999_000));
    row.put("stamptz", Instant.MAX);
    row.put("stamptz_low", Instant.MIN);
    row.put("span", Interval.of(-14, 3, -4_000_001L));
    row.put("array", Collections.unmodifiableList(array));
    row.put("nothing", null);

    List<ChangeEvent> events = new ArrayList<>();
    ChangeEvents.Builder insert = ChangeEvents.insert(values).key("id", 1L);
    row.forEach(insert::column);
    events.add(insert.build());
    ChangeEvents.Builder snapshot = ChangeEvents.snapshotRead(values).key("id", 2L);
    row.forEach(snapshot::column);
    events.add(snapshot.build());
    ChangeEvents.Builder update = ChangeEvents.update(values).key("id", 1L);
    row.forEach(update::before);
    row.forEach(update::after);
    events.add(update.after("text", "changed").build());
    events.add(
        ChangeEvents.update(values)
            .key("id", 1L)
            .column("flag", false)
            .unchanged("text")
            .unchanged("doc")
            .unchanged("bytes")
            .build());
    events.add(ChangeEvents.delete(values).key("id", 1L).build());
    ChangeEvents.Builder fullDelete = ChangeEvents.delete(values).key("id", 2L);
    row.forEach(fullDelete::column);
    events.add(fullDelete.build());
    events.add(ChangeEvents.insert("datis_kit.no_columns").build());
    events.add(ChangeEvents.delete("datis_kit.no_columns").build());
    events.add(
        ChangeEvents.insert("datis_kit.no_key").column("note", "").column("n", null).build());
    events.add(ChangeEvents.truncate(values).build());
    events.add(ChangeEvents.insert(values).key("id", "ключ 🔑").column("text", "").build());
    return List.copyOf(events);
  }

  /**
   * A sample of {@code count} events of every operation from {@link ChangeEventArbitraries}, with
   * positions of their own.
   */
  public static List<ChangeEvent> generated(int count) {
    List<ChangeEvent> batch = new ArrayList<>();
    for (ChangeEvent event :
        ChangeEventArbitraries.events().sampleStream().limit(count).toArray(ChangeEvent[]::new)) {
      long lsn = GENERATED_LSN.addAndGet(8);
      long transaction = event.operation() == Operation.SNAPSHOT_READ ? 0 : lsn;
      batch.add(event.toBuilder().position(Position.of(lsn, transaction, 1)).build());
    }
    return List.copyOf(batch);
  }
}
