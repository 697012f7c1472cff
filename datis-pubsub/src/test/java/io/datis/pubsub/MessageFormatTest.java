package io.datis.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import io.datis.pubsub.internal.EncodingContext;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class MessageFormatTest {

  static final Instant COMMIT_TIME = Instant.parse("2026-01-02T03:04:05.123456Z");

  static final EncodingContext CONTEXT =
      EncodingContext.of("shop-cdc", "shop")
          .withClock(Clock.fixed(Instant.parse("2026-01-02T03:04:06.5Z"), ZoneOffset.UTC));

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The Datis envelope of {@link #representativeUpdate()}. */
  private static final String DATIS_ENVELOPE =
      """
      {"eventId":"00000000016B3748-571-3","op":"UPDATE",\
      "table":{"schema":"public","name":"orders"},"keyColumns":["id"],"key":{"id":10},\
      "before":{"id":10,"qty":41,"note":null},\
      "after":{"id":10,"small":7,"qty":42,\
      "price":"123456789012345678901234567890.123456789","ratio":0.25,\
      "score":3.141592653589793,"nan":"NaN","paid":true,"note":"café ☕",\
      "ref":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","doc":{"a": [1, 2.50, null]},\
      "blob":"AAEC/v8=","day":"2026-01-02","at":"03:04:05.123456","at_tz":"03:04:05Z",\
      "local_ts":"2026-01-02T03:04:00","ts":"2026-01-02T03:04:05.123456Z",\
      "took":"P-1Y-2M-3DT-1H-2M-3.5S","tags":["a",null],"matrix":[[1,2],[3,4]],\
      "attrs":{"k":"v","n":null},"gone":null},\
      "unchanged":["big_col"],\
      "position":{"lsn":"0/16B3748","txId":571,"sequence":3},\
      "commitTime":"2026-01-02T03:04:05.123456Z"}\
      """;

  /** An update with a value of every type, a null, and an unchanged TOASTed column. */
  static ChangeEvent representativeUpdate() {
    Map<String, @Nullable Object> after = new LinkedHashMap<>();
    after.put("id", 10L);
    after.put("small", (short) 7);
    after.put("qty", 42);
    after.put("price", new BigDecimal("123456789012345678901234567890.123456789"));
    after.put("ratio", 0.25f);
    after.put("score", 3.141592653589793);
    after.put("nan", Double.NaN);
    after.put("paid", true);
    after.put("note", "café ☕");
    after.put("ref", UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
    after.put("doc", Json.of("{\"a\": [1, 2.50, null]}"));
    after.put("blob", new byte[] {0, 1, 2, (byte) 0xFE, (byte) 0xFF});
    after.put("day", LocalDate.of(2026, 1, 2));
    after.put("at", LocalTime.of(3, 4, 5, 123_456_000));
    after.put("at_tz", OffsetTime.of(3, 4, 5, 0, ZoneOffset.UTC));
    after.put("local_ts", LocalDateTime.of(2026, 1, 2, 3, 4));
    after.put("ts", Instant.parse("2026-01-02T03:04:05.123456Z"));
    after.put("took", Interval.of(-14, -3, -3_723_500_000L));
    after.put("tags", Arrays.asList("a", null));
    after.put("matrix", List.of(List.of(1, 2), List.of(3, 4)));
    Map<String, @Nullable String> hstore = new LinkedHashMap<>();
    hstore.put("k", "v");
    hstore.put("n", null);
    after.put("attrs", hstore);
    after.put("gone", null);
    after.put("big_col", Unchanged.VALUE);
    Map<String, @Nullable Object> before = new LinkedHashMap<>();
    before.put("id", 10L);
    before.put("qty", 41);
    before.put("note", null);
    return ChangeEvent.builder(Operation.UPDATE, TableId.of("public", "orders"))
        .keyColumns(List.of("id"))
        .before(before)
        .after(after)
        .position(Position.of(0x16B3748L, 571, 3))
        .commitTime(COMMIT_TIME)
        .build();
  }

  static ChangeEvent event(
      Operation operation,
      @Nullable Map<String, ? extends @Nullable Object> before,
      @Nullable Map<String, ? extends @Nullable Object> after) {
    return ChangeEvent.builder(operation, TableId.of("public", "orders"))
        .keyColumns(operation == Operation.TRUNCATE ? List.of() : List.of("id"))
        .before(before)
        .after(after)
        .position(Position.of(0x16B3748L, operation == Operation.SNAPSHOT_READ ? 0 : 571, 3))
        .commitTime(COMMIT_TIME)
        .build();
  }

  static PubsubMessage encode(MessageFormat format, ChangeEvent event) {
    return format.encoder().encode(event, "", CONTEXT);
  }

  static String data(PubsubMessage message) {
    return message.getData().toStringUtf8();
  }

  private static JsonNode json(PubsubMessage message) throws IOException {
    return MAPPER.readTree(message.getData().toByteArray());
  }

  @Test
  void datisJsonWritesEveryValueTypeExactlyAndListsUnchangedColumns() {
    PubsubMessage message = encode(MessageFormat.datisJson(), representativeUpdate());

    assertThat(data(message)).isEqualTo(DATIS_ENVELOPE);
    assertThat(data(message)).doesNotContain("<unchanged>", "__debezium");
  }

  /**
   * The values PostgreSQL holds that Java's types cannot (numeric NaN and infinities, infinite
   * dates and timestamps, 24:00:00) keep PostgreSQL's words, in every format; text-form types stay
   * text.
   */
  @Test
  void everyFormatWritesTheValuesJavaTypesCannotHoldInPostgresqlsWords() throws IOException {
    Map<String, @Nullable Object> after = new LinkedHashMap<>();
    after.put("id", 1);
    after.put("n_nan", Double.NaN);
    after.put("n_inf", Double.POSITIVE_INFINITY);
    after.put("n_minus_inf", Double.NEGATIVE_INFINITY);
    after.put("d_inf", LocalDate.MAX);
    after.put("d_minus_inf", LocalDate.MIN);
    after.put("ts_inf", LocalDateTime.MAX);
    after.put("ts_minus_inf", LocalDateTime.MIN);
    after.put("end_of_day", LocalTime.MAX);
    after.put("money", new BigDecimal("12.30"));
    after.put("point", "(1.5,2.0)");
    after.put("range", "[1,10)");
    after.put("composite", "(\"Main St\",5)");
    after.put("bits", "0011");
    after.put("numbers", Arrays.asList(new BigDecimal("1.50"), Double.NaN, null));
    after.put("matrix", List.of(List.of(1, 2), List.of(3, 4)));
    String expected =
        "{\"id\":1,\"n_nan\":\"NaN\",\"n_inf\":\"Infinity\",\"n_minus_inf\":\"-Infinity\","
            + "\"d_inf\":\"infinity\",\"d_minus_inf\":\"-infinity\",\"ts_inf\":\"infinity\","
            + "\"ts_minus_inf\":\"-infinity\",\"end_of_day\":\"24:00:00\",\"money\":\"12.30\","
            + "\"point\":\"(1.5,2.0)\",\"range\":\"[1,10)\",\"composite\":\"(\\\"Main St\\\",5)\","
            + "\"bits\":\"0011\",\"numbers\":[\"1.50\",\"NaN\",null],\"matrix\":[[1,2],[3,4]]}";
    ChangeEvent insert = event(Operation.INSERT, null, after);

    assertThat(json(encode(MessageFormat.datisJson(), insert)).get("after").toString())
        .isEqualTo(expected);
    assertThat(json(encode(MessageFormat.debeziumJson(), insert)).get("after").toString())
        .isEqualTo(expected);
    assertThat(
            json(encode(MessageFormat.cloudEvents(), insert)).get("data").get("after").toString())
        .isEqualTo(expected);
    assertThat(json(encode(MessageFormat.cloudEventsBinary(), insert)).get("after").toString())
        .isEqualTo(expected);
  }

  @Test
  void everyFormatPutsTheEventsTraceContextWherePubSubClientLibrariesReadIt() {
    String traceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    for (MessageFormat format : allFormats()) {
      assertThat(
              encode(format, representativeUpdate().withTraceParent(traceParent))
                  .getAttributesMap())
          .as(format.toString())
          .containsEntry("googclient_traceparent", traceParent);
      assertThat(encode(format, representativeUpdate()).getAttributesMap())
          .as(format.toString())
          .doesNotContainKey("googclient_traceparent");
    }
  }

  @Test
  void everyFormatIsValidJson() throws IOException {
    for (MessageFormat format : allFormats()) {
      JsonNode tree = json(encode(format, representativeUpdate()));
      assertThat(tree.isObject()).as(format.toString()).isTrue();
    }
  }

  @Test
  void datisJsonOfADeleteTakesTheKeyFromBefore() {
    ChangeEvent delete = event(Operation.DELETE, Map.of("id", 10L), null);

    assertThat(data(encode(MessageFormat.datisJson(), delete)))
        .isEqualTo(
            """
            {"eventId":"00000000016B3748-571-3","op":"DELETE",\
            "table":{"schema":"public","name":"orders"},"keyColumns":["id"],"key":{"id":10},\
            "before":{"id":10},"after":null,"unchanged":[],\
            "position":{"lsn":"0/16B3748","txId":571,"sequence":3},\
            "commitTime":"2026-01-02T03:04:05.123456Z"}\
            """);
  }

  @Test
  void datisJsonOfATruncateHasNoKeyAndNoImages() {
    ChangeEvent truncate = event(Operation.TRUNCATE, null, null);

    assertThat(data(encode(MessageFormat.datisJson(), truncate)))
        .isEqualTo(
            """
            {"eventId":"00000000016B3748-571-3","op":"TRUNCATE",\
            "table":{"schema":"public","name":"orders"},"keyColumns":[],"key":{},\
            "before":null,"after":null,"unchanged":[],\
            "position":{"lsn":"0/16B3748","txId":571,"sequence":3},\
            "commitTime":"2026-01-02T03:04:05.123456Z"}\
            """);
  }

  @Test
  void debeziumJsonWritesDebeziumsEnvelopeWithTheUnavailableValuePlaceholder() {
    PubsubMessage message = encode(MessageFormat.debeziumJson(), representativeUpdate());

    assertThat(data(message))
        .isEqualTo(
            """
            {"before":{"id":10,"qty":41,"note":null},\
            "after":{"id":10,"small":7,"qty":42,\
            "price":"123456789012345678901234567890.123456789","ratio":0.25,\
            "score":3.141592653589793,"nan":"NaN","paid":true,"note":"café ☕",\
            "ref":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","doc":{"a": [1, 2.50, null]},\
            "blob":"AAEC/v8=","day":"2026-01-02","at":"03:04:05.123456","at_tz":"03:04:05Z",\
            "local_ts":"2026-01-02T03:04:00","ts":"2026-01-02T03:04:05.123456Z",\
            "took":"P-1Y-2M-3DT-1H-2M-3.5S","tags":["a",null],"matrix":[[1,2],[3,4]],\
            "attrs":{"k":"v","n":null},"gone":null,"big_col":"__debezium_unavailable_value"},\
            "source":{"version":"3.6.1.Final","connector":"postgresql","name":"shop-cdc",\
            "ts_ms":1767323045123,"snapshot":"false","db":"shop",\
            "sequence":"[null,\\"23803720\\"]","ts_us":1767323045123456,\
            "ts_ns":1767323045123456000,"schema":"public","table":"orders","txId":571,\
            "lsn":23803720,"xmin":null},\
            "transaction":{"id":"571:23803720","total_order":3,"data_collection_order":3},\
            "op":"u","ts_ms":1767323046500,"ts_us":1767323046500000,\
            "ts_ns":1767323046500000000}\
            """);
  }

  @Test
  void debeziumJsonUsesDebeziumsOperationCodes() throws IOException {
    Map<String, Object> row = Map.of("id", 10L);
    assertThat(
            json(encode(MessageFormat.debeziumJson(), event(Operation.INSERT, null, row)))
                .get("op")
                .asText())
        .isEqualTo("c");
    assertThat(
            json(encode(MessageFormat.debeziumJson(), event(Operation.UPDATE, null, row)))
                .get("op")
                .asText())
        .isEqualTo("u");
    assertThat(
            json(encode(MessageFormat.debeziumJson(), event(Operation.DELETE, row, null)))
                .get("op")
                .asText())
        .isEqualTo("d");
    assertThat(
            json(encode(MessageFormat.debeziumJson(), event(Operation.TRUNCATE, null, null)))
                .get("op")
                .asText())
        .isEqualTo("t");
    assertThat(
            json(encode(MessageFormat.debeziumJson(), event(Operation.SNAPSHOT_READ, null, row)))
                .get("op")
                .asText())
        .isEqualTo("r");
  }

  @Test
  void debeziumJsonMarksSnapshotReadsAndGivesThemNoTransaction() throws IOException {
    JsonNode read =
        json(
            encode(
                MessageFormat.debeziumJson(),
                event(Operation.SNAPSHOT_READ, null, Map.of("id", 10L))));

    assertThat(read.get("source").get("snapshot").asText()).isEqualTo("true");
    assertThat(read.get("source").get("txId").asLong()).isZero();
    assertThat(read.get("transaction").isNull()).isTrue();
    assertThat(read.get("before").isNull()).isTrue();
  }

  @Test
  void cloudEventsWrapsTheDatisEnvelopeInAStructuredCloudEvent() {
    PubsubMessage message = encode(MessageFormat.cloudEvents(), representativeUpdate());

    assertThat(data(message))
        .isEqualTo(
            """
            {"specversion":"1.0","id":"00000000016B3748-571-3",\
            "source":"/datis/shop-cdc/shop","type":"io.datis.change.update",\
            "subject":"public.orders","time":"2026-01-02T03:04:05.123456Z",\
            "datacontenttype":"application/json","data":\
            """
                + DATIS_ENVELOPE
                + "}");
    assertThat(message.getAttributesMap())
        .containsEntry("content-type", "application/cloudevents+json; charset=UTF-8")
        .doesNotContainKeys("ce-id", "ce-specversion");
  }

  @Test
  void cloudEventsBinaryPutsTheContextInAttributesAndTheDatisEnvelopeInTheData() {
    PubsubMessage message = encode(MessageFormat.cloudEventsBinary(), representativeUpdate());

    assertThat(data(message)).isEqualTo(DATIS_ENVELOPE);
    assertThat(message.getAttributesMap())
        .containsOnly(
            entry("ce-specversion", "1.0"),
            entry("ce-id", "00000000016B3748-571-3"),
            entry("ce-source", "/datis/shop-cdc/shop"),
            entry("ce-type", "io.datis.change.update"),
            entry("ce-subject", "public.orders"),
            entry("ce-time", "2026-01-02T03:04:05.123456Z"),
            entry("content-type", "application/json"),
            entry("datis-table", "public.orders"),
            entry("datis-operation", "UPDATE"),
            entry("datis-lsn", "0/16B3748"),
            entry("datis-txid", "571"),
            entry("datis-sequence", "3"),
            entry("datis-commit-time", "2026-01-02T03:04:05.123456Z"),
            entry("datis-event-id", "00000000016B3748-571-3"));
  }

  @Test
  void cloudEventTypesNameTheOperation() throws IOException {
    Map<String, Object> row = Map.of("id", 10L);
    assertThat(type(event(Operation.INSERT, null, row))).isEqualTo("io.datis.change.insert");
    assertThat(type(event(Operation.UPDATE, null, row))).isEqualTo("io.datis.change.update");
    assertThat(type(event(Operation.DELETE, row, null))).isEqualTo("io.datis.change.delete");
    assertThat(type(event(Operation.TRUNCATE, null, null))).isEqualTo("io.datis.change.truncate");
    assertThat(type(event(Operation.SNAPSHOT_READ, null, row)))
        .isEqualTo("io.datis.change.snapshot_read");
    assertThat(
            encode(MessageFormat.cloudEventsBinary(), event(Operation.DELETE, row, null))
                .getAttributesMap())
        .containsEntry("ce-type", "io.datis.change.delete");
  }

  private static String type(ChangeEvent event) throws IOException {
    return json(encode(MessageFormat.cloudEvents(), event)).get("type").asText();
  }

  @Test
  void cloudEventsSourcePercentEncodesUnusualNames() {
    EncodingContext context = EncodingContext.of("orders cdc", "bücher/db");

    PubsubMessage message =
        MessageFormat.cloudEventsBinary().encoder().encode(representativeUpdate(), "", context);

    assertThat(message.getAttributesMap())
        .containsEntry("ce-source", "/datis/orders%20cdc/b%C3%BCcher%2Fdb");
  }

  @Test
  void everyFormatSetsTheStandardAttributes() {
    for (MessageFormat format : allFormats()) {
      PubsubMessage message = encode(format, representativeUpdate());

      assertThat(message.getAttributesMap())
          .as(format.toString())
          .contains(
              entry("datis-table", "public.orders"),
              entry("datis-operation", "UPDATE"),
              entry("datis-lsn", "0/16B3748"),
              entry("datis-txid", "571"),
              entry("datis-sequence", "3"),
              entry("datis-commit-time", "2026-01-02T03:04:05.123456Z"),
              entry("datis-event-id", "00000000016B3748-571-3"));
    }
    assertThat(encode(MessageFormat.datisJson(), representativeUpdate()).getAttributesCount())
        .isEqualTo(7);
    assertThat(encode(MessageFormat.debeziumJson(), representativeUpdate()).getAttributesCount())
        .isEqualTo(7);
  }

  @Test
  void theOrderingKeyIsTheOneGivenAndEmptyMeansNone() {
    ChangeEvent update = representativeUpdate();

    PubsubMessage keyed =
        MessageFormat.datisJson().encoder().encode(update, "public.orders:[10]", CONTEXT);
    PubsubMessage unkeyed = MessageFormat.datisJson().encoder().encode(update, "", CONTEXT);

    assertThat(keyed.getOrderingKey()).isEqualTo("public.orders:[10]");
    assertThat(unkeyed.getOrderingKey()).isEmpty();
  }

  @Test
  void userAttributesAreMergedWithTheStandardOnes() {
    MessageFormat format =
        MessageFormat.datisJson()
            .withAttributes(Map.of("env", "prod", "team", "orders"))
            .withAttributes(event -> Map.of("op-lower", event.operation().name().toLowerCase()))
            .withAttributes(event -> Map.of("team", "billing"));

    PubsubMessage message = encode(format, representativeUpdate());

    assertThat(message.getAttributesMap())
        .hasSize(10)
        .contains(
            entry("env", "prod"),
            entry("team", "billing"),
            entry("op-lower", "update"),
            entry("datis-table", "public.orders"));
    assertThat(data(message)).isEqualTo(DATIS_ENVELOPE);
  }

  @Test
  void fixedAttributesWithReservedNamesAreRefused() {
    assertThatThrownBy(
            () ->
                MessageFormat.datisJson()
                    .withAttributes(
                        Map.of("datis-table", "x", "ce-id", "y", "content-type", "z", "ok", "1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Invalid message attributes: attribute names [ce-id, content-type, datis-table] are"
                + " reserved (Datis sets datis-*, ce-* and content-type itself); rename them");
  }

  @Test
  void computedAttributesNeverOverrideDatisOnes() {
    MessageFormat format =
        MessageFormat.cloudEventsBinary()
            .withAttributes(
                event ->
                    Map.of(
                        "datis-table", "forged",
                        "datis-event-id", "forged",
                        "ce-id", "forged",
                        "content-type", "text/plain",
                        "tenant", "acme"));

    PubsubMessage message = encode(format, representativeUpdate());

    assertThat(message.getAttributesMap())
        .contains(
            entry("datis-table", "public.orders"),
            entry("datis-event-id", "00000000016B3748-571-3"),
            entry("ce-id", "00000000016B3748-571-3"),
            entry("content-type", "application/json"),
            entry("tenant", "acme"))
        .doesNotContainValue("forged")
        .hasSize(15);
  }

  @Test
  void anAttributeFunctionReturningNullFailsNamingTheEvent() {
    MessageFormat format = MessageFormat.datisJson().withAttributes(event -> null);

    assertThatThrownBy(() -> encode(format, representativeUpdate()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("Attribute function #1 returned null for UPDATE public.orders [")
        .hasMessageEndingWith("at lsn 0/16B3748 tx 571 #3; return Map.of() for no attributes");
  }

  @Test
  void aValueOfAnUnsupportedTypeFailsNamingTheColumnButNotTheValue() {
    ChangeEvent event =
        event(Operation.INSERT, null, Map.of("id", 10L, "secret", new StringBuilder("hunter2")));

    assertThatThrownBy(() -> encode(MessageFormat.datisJson(), event))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot encode column 'secret' of public.orders at lsn 0/16B3748 tx 571 #3: values of"
                + " type java.lang.StringBuilder cannot be encoded (supported: the types PostgreSQL"
                + " columns decode to, see MessageFormat); convert them in a transform")
        .message()
        .doesNotContain("hunter2");
  }

  @Test
  void formatsAreImmutable() {
    MessageFormat plain = MessageFormat.datisJson();
    MessageFormat withAttributes = plain.withAttributes(Map.of("env", "prod"));

    assertThat(encode(plain, representativeUpdate()).getAttributesMap()).doesNotContainKey("env");
    assertThat(encode(withAttributes, representativeUpdate()).getAttributesMap())
        .containsEntry("env", "prod");
    assertThat(plain).hasToString("MessageFormat.datisJson()");
    assertThat(withAttributes)
        .hasToString("MessageFormat.datisJson() with UserAttributes[fixed=[env], functions=0]");
    assertThat(MessageFormat.cloudEventsBinary()).hasToString("MessageFormat.cloudEventsBinary()");
  }

  private static List<MessageFormat> allFormats() {
    return List.of(
        MessageFormat.datisJson(),
        MessageFormat.debeziumJson(),
        MessageFormat.cloudEvents(),
        MessageFormat.cloudEventsBinary());
  }
}
