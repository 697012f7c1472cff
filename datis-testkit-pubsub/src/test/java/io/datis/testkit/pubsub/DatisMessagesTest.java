package io.datis.testkit.pubsub;

import static io.datis.testkit.DatisAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Hand-written messages of each format, as {@code io.datis.pubsub.MessageFormat} shows them. */
class DatisMessagesTest {

  private static final Instant COMMIT_TIME = Instant.parse("2026-01-02T03:04:05.123456Z");
  private static final Position POSITION = Position.of(0x16B3748L, 571, 3);

  /** The update of the MessageFormat Javadoc, in the Datis envelope. */
  static final String DATIS_ENVELOPE =
      """
      {"eventId":"00000000016B3748-571-3","op":"UPDATE",\
      "table":{"schema":"public","name":"orders"},"keyColumns":["id"],"key":{"id":10},\
      "before":null,\
      "after":{"id":10,"status":"paid","total":"19.90","paid_at":"2026-01-02T03:04:05.123456Z"},\
      "unchanged":["notes"],\
      "position":{"lsn":"0/16B3748","txId":571,"sequence":3},\
      "commitTime":"2026-01-02T03:04:05.123456Z"}\
      """;

  /** The same update in the Debezium-compatible envelope. */
  static final String DEBEZIUM_ENVELOPE =
      """
      {"before":null,\
      "after":{"id":10,"status":"paid","total":"19.90","paid_at":"2026-01-02T03:04:05.123456Z",\
      "notes":"__debezium_unavailable_value"},\
      "source":{"version":"3.6.1.Final","connector":"postgresql","name":"shop-cdc",\
      "ts_ms":1767323045123,"snapshot":"false","db":"shop","sequence":"[null,\\"23803720\\"]",\
      "ts_us":1767323045123456,"ts_ns":1767323045123456000,"schema":"public","table":"orders",\
      "txId":571,"lsn":23803720,"xmin":null},\
      "transaction":{"id":"571:23803720","total_order":3,"data_collection_order":3},\
      "op":"u","ts_ms":1767323045200,"ts_us":1767323045200000,"ts_ns":1767323045200000000}\
      """;

  /** The standard attributes of the update, on messages of every format. */
  static final Map<String, String> STANDARD_ATTRIBUTES =
      Map.of(
          "datis-table", "public.orders",
          "datis-operation", "UPDATE",
          "datis-lsn", "0/16B3748",
          "datis-txid", "571",
          "datis-sequence", "3",
          "datis-commit-time", "2026-01-02T03:04:05.123456Z",
          "datis-event-id", "00000000016B3748-571-3");

  // ------------------------------------------------------------------ the four formats

  @Test
  void decodesTheDatisEnvelopeWithUnchangedColumnsAtTheEndOfTheAfterImage() {
    ChangeEvent event = DatisMessages.decode(message(DATIS_ENVELOPE, STANDARD_ATTRIBUTES));

    assertThat(event).isEqualTo(expectedUpdate(List.of("id")));
    assertThat(event.after().orElseThrow())
        .containsExactly(
            entry("id", 10L),
            entry("status", "paid"),
            entry("total", "19.90"),
            entry("paid_at", "2026-01-02T03:04:05.123456Z"),
            entry("notes", Unchanged.VALUE));
    assertThat(event.key()).containsExactly(entry("id", 10L));
    assertThat(event)
        .isUpdateOf("id", 10L)
        .hasAfterColumn("total", "19.90")
        .hasUnchanged("notes")
        .hasNoBeforeImage()
        .hasPosition(POSITION);
    assertThat(event.destination()).isEmpty();
  }

  @Test
  void decodesTheDatisEnvelopeWithoutAttributes() {
    ChangeEvent event = DatisMessages.decode(message(DATIS_ENVELOPE, Map.of()));

    assertThat(event).isEqualTo(expectedUpdate(List.of("id")));
  }

  @Test
  void decodesTheDebeziumEnvelopeWithoutKeyColumnsAndWithTheUnavailableValueInItsPlace() {
    ChangeEvent event = DatisMessages.decode(message(DEBEZIUM_ENVELOPE, STANDARD_ATTRIBUTES));

    assertThat(event).isEqualTo(expectedUpdate(List.of()));
    assertThat(event.after().orElseThrow())
        .containsExactly(
            entry("id", 10L),
            entry("status", "paid"),
            entry("total", "19.90"),
            entry("paid_at", "2026-01-02T03:04:05.123456Z"),
            entry("notes", Unchanged.VALUE));
    assertThat(event.keyColumns()).isEmpty();
    assertThat(event.key()).isEmpty();
  }

  @Test
  void takesTheDebeziumCommitTimeFromTheAttributeToTheNanosecond() {
    Map<String, String> attributes = new LinkedHashMap<>(STANDARD_ATTRIBUTES);
    attributes.put("datis-commit-time", "2026-01-02T03:04:05.123456789Z");

    ChangeEvent event = DatisMessages.decode(message(DEBEZIUM_ENVELOPE, attributes));

    assertThat(event.commitTime()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456789Z"));
  }

  @Test
  void takesTheDebeziumCommitTimeFromTheMicrosecondsWithoutAttributes() {
    ChangeEvent event = DatisMessages.decode(message(DEBEZIUM_ENVELOPE, Map.of()));

    assertThat(event.commitTime()).isEqualTo(COMMIT_TIME);
    assertThat(event.position()).isEqualTo(POSITION);
  }

  @Test
  void takesTheSequenceOfADebeziumSnapshotReadFromTheAttribute() {
    String snapshotRead =
        """
        {"before":null,"after":{"id":7},\
        "source":{"version":"3.6.1.Final","connector":"postgresql","name":"shop-cdc",\
        "ts_ms":1767323045123,"snapshot":"true","db":"shop","sequence":"[null,\\"4096\\"]",\
        "ts_us":1767323045123456,"ts_ns":1767323045123456000,"schema":"public",\
        "table":"orders","txId":0,"lsn":4096,"xmin":null},\
        "transaction":null,"op":"r","ts_ms":1,"ts_us":1000,"ts_ns":1000000}\
        """;

    ChangeEvent event =
        DatisMessages.decode(
            message(
                snapshotRead,
                Map.of("datis-sequence", "12", "datis-commit-time", "2026-01-02T03:04:05.5Z")));

    assertThat(event).isSnapshotRead().hasPosition(Position.of(4096, 0, 12));
    assertThat(event.commitTime()).isEqualTo(Instant.parse("2026-01-02T03:04:05.5Z"));
    assertThat(event.after().orElseThrow()).containsExactly(entry("id", 7L));
  }

  @Test
  void decodesAStructuredCloudEvent() {
    String cloudEvent =
        "{\"specversion\":\"1.0\",\"id\":\"00000000016B3748-571-3\","
            + "\"source\":\"/datis/shop-cdc/shop\",\"type\":\"io.datis.change.update\","
            + "\"subject\":\"public.orders\",\"time\":\"2026-01-02T03:04:05.123456Z\","
            + "\"datacontenttype\":\"application/json\",\"data\":"
            + DATIS_ENVELOPE
            + "}";
    Map<String, String> attributes = new LinkedHashMap<>(STANDARD_ATTRIBUTES);
    attributes.put("content-type", "application/cloudevents+json; charset=UTF-8");

    ChangeEvent event = DatisMessages.decode(message(cloudEvent, attributes));

    assertThat(event).isEqualTo(expectedUpdate(List.of("id")));
  }

  @Test
  void decodesABinaryModeCloudEvent() {
    Map<String, String> attributes = new LinkedHashMap<>(STANDARD_ATTRIBUTES);
    attributes.put("ce-specversion", "1.0");
    attributes.put("ce-id", "00000000016B3748-571-3");
    attributes.put("ce-source", "/datis/shop-cdc/shop");
    attributes.put("ce-type", "io.datis.change.update");
    attributes.put("ce-subject", "public.orders");
    attributes.put("ce-time", "2026-01-02T03:04:05.123456Z");
    attributes.put("content-type", "application/json");

    ChangeEvent event = DatisMessages.decode(message(DATIS_ENVELOPE, attributes));

    assertThat(event).isEqualTo(expectedUpdate(List.of("id")));
  }

  // ------------------------------------------------------------------ values and operations

  @Test
  void decodesValuesToTheirJsonForm() {
    String envelope =
        datisEnvelope(
            "INSERT",
            "null",
            """
            {"id":1,"big":123456789012345678901234567890,"ratio":0.25,"exp":1e3,\
            "flag":false,"text":"café ☕","none":null,"numeric":"19.90",\
            "tags":["a",null,3],"doc":{"a":[1,2.50,null],"b":{"c":true}}}\
            """,
            "[]");

    ChangeEvent event = DatisMessages.decode(message(envelope, Map.of()));

    Map<String, @Nullable Object> after = event.after().orElseThrow();
    assertThat(after.get("id")).isEqualTo(1L);
    assertThat(after.get("big")).isEqualTo(new BigInteger("123456789012345678901234567890"));
    assertThat(after.get("ratio")).isEqualTo(0.25);
    assertThat(after.get("exp")).isEqualTo(1000.0);
    assertThat(after.get("flag")).isEqualTo(false);
    assertThat(after.get("text")).isEqualTo("café ☕");
    assertThat(after).containsEntry("none", null);
    assertThat(after.get("numeric")).isEqualTo("19.90");
    assertThat(after.get("tags")).isEqualTo(Arrays.asList("a", null, 3L));
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("a", Arrays.asList(1L, 2.5, null));
    inner.put("b", Map.of("c", true));
    assertThat(after.get("doc")).isEqualTo(inner);
  }

  @Test
  void decodesAKeyOnlyDeleteAndATruncate() {
    ChangeEvent delete =
        DatisMessages.decode(
            message(datisEnvelope("DELETE", "{\"id\":10}", "null", "[]"), Map.of()));
    ChangeEvent truncate =
        DatisMessages.decode(
            message(
                datisEnvelope("TRUNCATE", "null", "null", "[]").replace("[\"id\"]", "[]"),
                Map.of()));

    assertThat(delete).isDeleteOf("id", 10L).hasNoAfterImage();
    assertThat(delete.before().orElseThrow()).containsExactly(entry("id", 10L));
    assertThat(truncate).isTruncate().hasNoBeforeImage().hasNoAfterImage();
    assertThat(truncate.keyColumns()).isEmpty();
  }

  @Test
  void decodesEveryDebeziumOperation() {
    for (Map.Entry<String, Operation> op :
        Map.of(
                "c", Operation.INSERT,
                "u", Operation.UPDATE,
                "d", Operation.DELETE,
                "t", Operation.TRUNCATE)
            .entrySet()) {
      String before = op.getValue() == Operation.DELETE ? "{\"id\":10}" : "null";
      String after =
          op.getValue() == Operation.DELETE || op.getValue() == Operation.TRUNCATE
              ? "null"
              : "{\"id\":10}";
      String envelope =
          DEBEZIUM_ENVELOPE
              .replace("\"op\":\"u\"", "\"op\":\"" + op.getKey() + "\"")
              .replaceFirst(
                  "\\{\"before\":null,\"after\":\\{.*?\\},\"source\"",
                  "{\"before\":" + before + ",\"after\":" + after + ",\"source\"");

      ChangeEvent event = DatisMessages.decode(message(envelope, Map.of()));

      assertThat(event).hasOperation(op.getValue()).hasPosition(POSITION);
    }
  }

  // ------------------------------------------------------------------ errors

  @Test
  void rejectsAJsonMessageThatIsNotDatisNamingWhatItGotAndWhatItExpected() {
    PubsubMessage message = message("{\"hello\":\"world\",\"n\":1}", Map.of("origin", "test"));

    assertThatThrownBy(() -> DatisMessages.decode(message))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Not a Datis message: got a JSON object with the fields [hello, n] and the"
                + " attributes [origin]; expected one of Datis's message formats: datisJson (a"
                + " JSON object with op, table and position), debeziumJson (a JSON object with op"
                + " and source), cloudEvents (attribute content-type"
                + " application/cloudevents+json) or cloudEventsBinary (attribute"
                + " ce-specversion), with the CloudEvents type io.datis.change.*");
  }

  @Test
  void rejectsDataThatIsNotJsonWithoutShowingIt() {
    PubsubMessage message = message("secret=hunter2", Map.of());

    assertThatThrownBy(() -> DatisMessages.decode(message))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Not a Datis message: got data of 14 bytes that is not JSON and no attributes;"
                + " expected one of Datis's message formats: ")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void rejectsAMessageWithoutData() {
    assertThatThrownBy(() -> DatisMessages.decode(PubsubMessage.getDefaultInstance()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Not a Datis message: got a message without data and no attributes; expected ");
  }

  @Test
  void rejectsCloudEventsOfAnotherType() {
    PubsubMessage structured =
        message(
            "{\"specversion\":\"1.0\",\"type\":\"com.example.created\",\"data\":{}}",
            Map.of("content-type", "application/cloudevents+json; charset=UTF-8"));
    PubsubMessage binary =
        message(DATIS_ENVELOPE, Map.of("ce-specversion", "1.0", "ce-type", "com.example.created"));

    assertThatThrownBy(() -> DatisMessages.decode(structured))
        .hasMessageStartingWith(
            "Not a Datis message: got a structured CloudEvent of type 'com.example.created' and"
                + " the attributes [content-type]; expected ");
    assertThatThrownBy(() -> DatisMessages.decode(binary))
        .hasMessageStartingWith(
            "Not a Datis message: got a binary-mode CloudEvent of type 'com.example.created' and"
                + " the attributes [ce-specversion, ce-type]; expected ");
  }

  @Test
  void rejectsADamagedDatisEnvelopeNamingTheField() {
    PubsubMessage message =
        message(DATIS_ENVELOPE.replace("\"txId\":571", "\"txId\":\"571\""), Map.of());

    assertThatThrownBy(() -> DatisMessages.decode(message))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Malformed datisJson message: position.txId is a string, expected a whole number");
  }

  @Test
  void rejectsADamagedStructuredCloudEventNamingTheFieldInsideData() {
    PubsubMessage message =
        message(
            "{\"specversion\":\"1.0\",\"type\":\"io.datis.change.update\",\"data\":"
                + DATIS_ENVELOPE.replace(",\"commitTime\":\"2026-01-02T03:04:05.123456Z\"", "")
                + "}",
            Map.of());

    assertThatThrownBy(() -> DatisMessages.decode(message))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Malformed cloudEvents message: data.commitTime is missing, expected a string");
  }

  @Test
  void rejectsAnEnvelopeWhoseImagesDoNotFitTheOperation() {
    PubsubMessage message =
        message(datisEnvelope("INSERT", "null", "null", "[]").replace("[\"id\"]", "[]"), Map.of());

    assertThatThrownBy(() -> DatisMessages.decode(message))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Malformed datisJson message: Invalid INSERT event on public.orders: INSERT needs an"
                + " after image");
  }

  @Test
  void decodeAllNamesTheMessageThatCannotBeDecoded() {
    PubsubMessage good = message(DATIS_ENVELOPE, Map.of());
    PubsubMessage bad = message("[1,2]", Map.of()).toBuilder().setMessageId("42").build();

    assertThat(DatisMessages.decodeAll(List.of(good, good))).hasSize(2);
    assertThatThrownBy(() -> DatisMessages.decodeAll(List.of(good, bad)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Message 2 of 2 (id 42): Not a Datis message: got a JSON array and no attributes;"
                + " expected ");
  }

  // ------------------------------------------------------------------ helpers

  private static ChangeEvent expectedUpdate(List<String> keyColumns) {
    Map<String, @Nullable Object> after = new LinkedHashMap<>();
    after.put("id", 10L);
    after.put("status", "paid");
    after.put("total", "19.90");
    after.put("paid_at", "2026-01-02T03:04:05.123456Z");
    after.put("notes", Unchanged.VALUE);
    return ChangeEvent.builder(Operation.UPDATE, TableId.of("public", "orders"))
        .keyColumns(keyColumns)
        .after(after)
        .position(POSITION)
        .commitTime(COMMIT_TIME)
        .build();
  }

  /** A Datis envelope on {@code public.orders} with key column {@code id}, at {@link #POSITION}. */
  private static String datisEnvelope(String op, String before, String after, String unchanged) {
    return "{\"eventId\":\"00000000016B3748-571-3\",\"op\":\""
        + op
        + "\",\"table\":{\"schema\":\"public\",\"name\":\"orders\"},\"keyColumns\":[\"id\"],"
        + "\"key\":{},\"before\":"
        + before
        + ",\"after\":"
        + after
        + ",\"unchanged\":"
        + unchanged
        + ",\"position\":{\"lsn\":\"0/16B3748\",\"txId\":571,\"sequence\":3},"
        + "\"commitTime\":\"2026-01-02T03:04:05.123456Z\"}";
  }

  static PubsubMessage message(String data, Map<String, String> attributes) {
    return PubsubMessage.newBuilder()
        .setData(ByteString.copyFromUtf8(data))
        .putAllAttributes(attributes)
        .build();
  }
}
