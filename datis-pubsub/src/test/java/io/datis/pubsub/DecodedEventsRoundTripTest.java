package io.datis.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Position;
import io.datis.api.event.Unchanged;
import io.datis.api.sink.SinkContext;
import io.datis.testkit.ChangeEventArbitraries;
import io.datis.testkit.ChangeEvents;
import io.datis.testkit.pubsub.DatisMessages;
import io.datis.testkit.pubsub.LocalPubSub;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.jspecify.annotations.Nullable;

/**
 * Events delivered through a real {@link PubSubSink} to a {@link LocalPubSub}, in each of the four
 * message formats, and read back with {@link LocalPubSub#publishedEvents}, come back as {@link
 * DatisMessages} documents: same table, operation, position, commit time, key and columns, with the
 * values in their JSON form.
 */
class DecodedEventsRoundTripTest {

  private static final String PROJECT = "round-trip";
  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static final LocalPubSub pubsub = LocalPubSub.create();

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);

  private static final SinkContext CONTEXT =
      new SinkContext() {
        @Override
        public String pipelineName() {
          return "shop-cdc";
        }

        @Override
        public String database() {
          return "shop";
        }
      };

  @BeforeContainer
  static void startPubSub() {
    pubsub.start();
  }

  @AfterContainer
  static void stopPubSub() {
    pubsub.close();
  }

  @Provide
  Arbitrary<MessageFormat> formats() {
    return Arbitraries.of(
        MessageFormat.datisJson(),
        MessageFormat.debeziumJson(),
        MessageFormat.cloudEvents(),
        MessageFormat.cloudEventsBinary());
  }

  /** Hand-written events of every operation, with a value of every type. */
  @Property(generation = GenerationMode.EXHAUSTIVE)
  void readsBackEveryOperationAndValueType(@ForAll("formats") MessageFormat format)
      throws Exception {
    ChangeEvent insert =
        ChangeEvents.insert("public.orders")
            .key("id", 10)
            .column("small", (short) 7)
            .column("qty", 42)
            .column("big", 9_000_000_000L)
            .column("price", new BigDecimal("123456789012345678901234567890.123456789"))
            .column("ratio", 0.1f)
            .column("score", 3.141592653589793)
            .column("nan", Double.NaN)
            .column("inf", Float.POSITIVE_INFINITY)
            .column("paid", true)
            .column("note", "café ☕")
            .column("ref", UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427"))
            .column("doc", Json.of("{\"a\": [1, 2.50, null]}"))
            .column("blob", new byte[] {0, 1, 2, (byte) 0xFE, (byte) 0xFF})
            .column("day", LocalDate.of(2026, 1, 2))
            .column("at", LocalTime.of(3, 4, 5, 123_456_000))
            .column("at_tz", OffsetTime.of(3, 4, 5, 0, ZoneOffset.UTC))
            .column("local_ts", LocalDateTime.of(2026, 1, 2, 3, 4))
            .column("ts", Instant.parse("2026-01-02T03:04:05.123456Z"))
            .column("never", Instant.MAX)
            .column("took", Interval.of(-14, -3, -3_723_500_000L))
            .column("tags", Arrays.asList("a", null))
            .column("matrix", List.of(List.of(1, 2), List.of(3, 4)))
            .column("attrs", mapOf("k", "v", "n", null))
            .column("gone", null)
            .build();
    List<ChangeEvent> batch =
        List.of(
            insert,
            ChangeEvents.update("public.orders")
                .key("id", 10)
                .after("status", "paid")
                .unchanged("notes")
                .after("total", new BigDecimal("19.90"))
                .build(),
            ChangeEvents.update("public.orders")
                .key("id", 10L)
                .before("status", "paid")
                .after("status", "shipped")
                .build(),
            ChangeEvents.delete("public.orders").key("id", "A-1").build(),
            ChangeEvents.truncate("public.orders").build(),
            ChangeEvents.snapshotRead("public.customers")
                .key("id", UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427"))
                .column("email", "alice@example.org")
                .build());

    List<ChangeEvent> read = deliverAndReadBack(format, batch);

    assertReadBack(format, batch, read);
    ChangeEvent insertRead =
        read.stream().filter(e -> e.position().equals(insert.position())).findFirst().orElseThrow();
    assertThat(insertRead.after().orElseThrow())
        .containsExactly(
            entry("id", 10L),
            entry("small", 7L),
            entry("qty", 42L),
            entry("big", 9_000_000_000L),
            entry("price", "123456789012345678901234567890.123456789"),
            entry("ratio", 0.1),
            entry("score", 3.141592653589793),
            entry("nan", "NaN"),
            entry("inf", "Infinity"),
            entry("paid", true),
            entry("note", "café ☕"),
            entry("ref", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
            entry("doc", Map.of("a", Arrays.asList(1L, 2.5, null))),
            entry("blob", "AAEC/v8="),
            entry("day", "2026-01-02"),
            entry("at", "03:04:05.123456"),
            entry("at_tz", "03:04:05Z"),
            entry("local_ts", "2026-01-02T03:04:00"),
            entry("ts", "2026-01-02T03:04:05.123456Z"),
            entry("never", "infinity"),
            entry("took", "P-1Y-2M-3DT-1H-2M-3.5S"),
            entry("tags", Arrays.asList("a", null)),
            entry("matrix", List.of(List.of(1L, 2L), List.of(3L, 4L))),
            entry("attrs", mapOf("k", "v", "n", null)),
            entry("gone", null));
  }

  /** Generated batches, each delivered in every format. */
  @Property(tries = 6)
  void readsBackGeneratedBatchesInEveryFormat(@ForAll("batches") List<ChangeEvent> batch)
      throws Exception {
    for (MessageFormat format : formats().allValues().orElseThrow().toList()) {
      assertReadBack(format, batch, deliverAndReadBack(format, batch));
    }
  }

  @Provide
  Arbitrary<List<ChangeEvent>> batches() {
    return ChangeEventArbitraries.batches(40);
  }

  // ------------------------------------------------------------------ delivering and comparing

  private static List<ChangeEvent> deliverAndReadBack(MessageFormat format, List<ChangeEvent> batch)
      throws Exception {
    String topic = "round-trip-" + TOPICS.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    PubSubSink sink =
        PubSubSink.builder(PROJECT, topic)
            .emulator(pubsub.hostPort())
            .format(format)
            .closeTimeout(Duration.ofSeconds(5))
            .build();
    try {
      sink.open(CONTEXT);
      sink.deliver(batch).toCompletableFuture().get(30, TimeUnit.SECONDS);
    } finally {
      sink.close();
    }
    return pubsub.publishedEvents(PROJECT, topic);
  }

  /**
   * Every sent event was read back (a duplicate, from a retried publish, must be equal), with its
   * table, operation, position and commit time, its key columns and key (not in debeziumJson), and
   * its row images in JSON form, column order included: unchanged columns come last, except in
   * debeziumJson, which keeps them in place.
   */
  private static void assertReadBack(
      MessageFormat format, List<ChangeEvent> sent, List<ChangeEvent> read) {
    boolean debezium = format == MessageFormat.debeziumJson();
    Map<Position, ChangeEvent> readByPosition = new LinkedHashMap<>();
    for (ChangeEvent event : read) {
      ChangeEvent earlier = readByPosition.putIfAbsent(event.position(), event);
      if (earlier != null) {
        assertThat(event).as("%s: %s read twice", format, event).isEqualTo(earlier);
      }
    }
    assertThat(readByPosition.keySet())
        .as("%s: the positions read back", format)
        .containsExactlyInAnyOrderElementsOf(sent.stream().map(ChangeEvent::position).toList());

    for (ChangeEvent expected : sent) {
      ChangeEvent actual = readByPosition.get(expected.position());
      String what = format + ": " + expected;
      assertThat(actual.table()).as(what).isEqualTo(expected.table());
      assertThat(actual.operation()).as(what).isEqualTo(expected.operation());
      assertThat(actual.position()).as(what).isEqualTo(expected.position());
      assertThat(actual.commitTime()).as(what).isEqualTo(expected.commitTime());
      assertThat(actual.destination()).as(what).isEmpty();
      assertThat(actual.keyColumns())
          .as(what + ", key columns")
          .isEqualTo(debezium ? List.of() : expected.keyColumns());
      assertThat(actual.key())
          .as(what + ", key")
          .containsExactlyEntriesOf(debezium ? Map.of() : jsonImage(expected.key(), false));
      assertImage(what + ", before", expected.before(), actual.before(), debezium);
      assertImage(what + ", after", expected.after(), actual.after(), debezium);
    }
  }

  private static void assertImage(
      String what,
      Optional<Map<String, @Nullable Object>> expected,
      Optional<Map<String, @Nullable Object>> actual,
      boolean unchangedInPlace) {
    if (expected.isEmpty()) {
      assertThat(actual).as(what).isEmpty();
      return;
    }
    assertThat(actual).as(what).isPresent();
    assertThat(actual.get())
        .as(what)
        .containsExactlyEntriesOf(jsonImage(expected.get(), unchangedInPlace));
  }

  /** The image as it should come back: values in JSON form, unchanged columns last or in place. */
  private static Map<String, @Nullable Object> jsonImage(
      Map<String, @Nullable Object> image, boolean unchangedInPlace) {
    Map<String, @Nullable Object> json = new LinkedHashMap<>();
    List<String> unchanged = new ArrayList<>();
    for (Map.Entry<String, @Nullable Object> column : image.entrySet()) {
      if (column.getValue() == Unchanged.VALUE && !unchangedInPlace) {
        unchanged.add(column.getKey());
      } else {
        json.put(column.getKey(), jsonForm(column.getValue()));
      }
    }
    for (String column : unchanged) {
      json.put(column, Unchanged.VALUE);
    }
    return json;
  }

  /**
   * A value in the Java form DatisMessages documents, worked out independently of the encoder:
   * date-times through {@link Instant#toString()}, which also writes seconds always and the
   * fraction in groups of three digits.
   */
  private static @Nullable Object jsonForm(@Nullable Object value) {
    if (value == null
        || value instanceof String
        || value instanceof Boolean
        || value == Unchanged.VALUE) {
      return value;
    }
    if (value instanceof Short || value instanceof Integer || value instanceof Long) {
      return ((Number) value).longValue();
    }
    if (value instanceof BigInteger) {
      BigInteger big = (BigInteger) value;
      return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }
    if (value instanceof BigDecimal) {
      return ((BigDecimal) value).toPlainString();
    }
    if (value instanceof Float) {
      float f = (Float) value;
      return Float.isFinite(f) ? (Object) Double.valueOf(Float.toString(f)) : Float.toString(f);
    }
    if (value instanceof Double) {
      double d = (Double) value;
      return Double.isFinite(d) ? value : Double.toString(d);
    }
    if (value instanceof UUID || value instanceof Interval || value instanceof LocalDate) {
      return value.toString();
    }
    if (value instanceof Json) {
      try {
        return JSON.readValue(((Json) value).text(), Object.class);
      } catch (JsonProcessingException e) {
        throw new AssertionError("Generated JSON that does not parse", e);
      }
    }
    if (value instanceof byte[]) {
      return Base64.getEncoder().encodeToString((byte[]) value);
    }
    if (value instanceof Instant) {
      Instant instant = (Instant) value;
      if (instant.equals(Instant.MAX)) {
        return "infinity";
      }
      return instant.equals(Instant.MIN) ? "-infinity" : instant.toString();
    }
    if (value instanceof LocalDateTime) {
      String utc = ((LocalDateTime) value).toInstant(ZoneOffset.UTC).toString();
      return utc.substring(0, utc.length() - 1);
    }
    if (value instanceof LocalTime) {
      return localTime((LocalTime) value);
    }
    if (value instanceof OffsetTime) {
      OffsetTime time = (OffsetTime) value;
      return localTime(time.toLocalTime()) + time.getOffset().getId();
    }
    if (value instanceof List) {
      List<@Nullable Object> elements = new ArrayList<>();
      for (Object element : (List<?>) value) {
        elements.add(jsonForm(element));
      }
      return elements;
    }
    if (value instanceof Map) {
      Map<String, @Nullable Object> fields = new LinkedHashMap<>();
      for (Map.Entry<?, ?> field : ((Map<?, ?>) value).entrySet()) {
        fields.put(String.valueOf(field.getKey()), jsonForm(field.getValue()));
      }
      return fields;
    }
    throw new AssertionError("No JSON form for a " + value.getClass().getName());
  }

  private static String localTime(LocalTime time) {
    String utc = LocalDate.EPOCH.atTime(time).toInstant(ZoneOffset.UTC).toString();
    return utc.substring("1970-01-01T".length(), utc.length() - 1);
  }

  private static Map<String, @Nullable Object> mapOf(
      String k1, @Nullable Object v1, String k2, @Nullable Object v2) {
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    map.put(k1, v1);
    map.put(k2, v2);
    return map;
  }
}
