package io.datis.testkit.pubsub;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Position;
import io.datis.api.event.Unchanged;
import io.datis.testkit.pubsub.internal.EnvelopeReader;
import io.datis.testkit.pubsub.internal.JsonValues;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Reads the Pub/Sub messages that Datis's Pub/Sub sink published back as {@link ChangeEvent}s, for
 * tests of the code that subscribes to them. It recognises each of the sink's four message formats
 * ({@code MessageFormat.datisJson()}, {@code debeziumJson()}, {@code cloudEvents()} and {@code
 * cloudEventsBinary()}, documented in {@code io.datis.pubsub.MessageFormat}) by the message's
 * attributes and the shape of its JSON, so a test need not know which one the pipeline uses.
 *
 * <pre>{@code
 * import static io.datis.testkit.DatisAssertions.assertThat;
 *
 * List<ChangeEvent> events = pubsub.publishedEvents("my-project", "orders-cdc");
 * // or, from messages your own subscriber received:
 * ChangeEvent event = DatisMessages.decode(receivedMessage);
 *
 * assertThat(event)
 *     .isUpdateOf("id", 10L) // whole numbers come back as Long
 *     .hasAfterColumn("total", "19.90") // numeric as its exact text
 *     .hasAfterColumn("paid_at", "2026-01-02T03:04:05.123456Z")
 *     .hasUnchanged("notes");
 * }</pre>
 *
 * <h2>What comes back</h2>
 *
 * <p>The operation, the table, the {@link Position} (LSN, transaction id, sequence) and the commit
 * time are exactly those of the published event, in every format. The key columns, and so {@link
 * ChangeEvent#key()}, too, except in {@code debeziumJson}, which does not carry them: events read
 * from it have no key columns and an empty key. No event has a {@link ChangeEvent#destination()
 * destination}: the topic is not part of the message.
 *
 * <p>Row images keep their columns in message order (which is table order). A column value comes
 * back in its JSON form, since the messages do not say which PostgreSQL type a value had:
 *
 * <table>
 *   <caption>JSON to Java</caption>
 *   <tr><th>JSON in the message</th><th>Java value in the decoded event</th></tr>
 *   <tr><td>{@code null}</td><td>{@code null}</td></tr>
 *   <tr><td>{@code true}, {@code false}</td><td>{@code Boolean}</td></tr>
 *   <tr><td>whole number, such as {@code 42}</td>
 *       <td>{@code Long} ({@code BigInteger} beyond the range of {@code long})</td></tr>
 *   <tr><td>number with a fraction or exponent, such as {@code 0.25}</td>
 *       <td>{@code Double}</td></tr>
 *   <tr><td>string</td><td>{@code String}</td></tr>
 *   <tr><td>array</td><td>unmodifiable {@code List} of these values (with {@code null}s)</td></tr>
 *   <tr><td>object</td><td>unmodifiable {@code Map<String, Object>} of these values, in message
 *       order</td></tr>
 * </table>
 *
 * <p>So, compared with the event that was published:
 *
 * <table>
 *   <caption>Published value to decoded value</caption>
 *   <tr><th>Published (PostgreSQL type)</th><th>Decoded</th><th>Example</th></tr>
 *   <tr><td>{@code Short}, {@code Integer}, {@code Long}</td><td>{@code Long}</td>
 *       <td>{@code 42} gives {@code 42L}: write {@code hasAfterColumn("qty", 42L)}, since {@code
 *       ChangeEventAssert} (datis-testkit) never finds an {@code Integer} equal to a {@code
 *       Long}</td></tr>
 *   <tr><td>{@code BigDecimal} ({@code numeric})</td><td>{@code String}, plain notation, exact</td>
 *       <td>{@code "19.90"}</td></tr>
 *   <tr><td>{@code Float}, {@code Double}</td>
 *       <td>{@code Double} of the shortest decimal text of the value; {@code String} {@code "NaN"},
 *       {@code "Infinity"} or {@code "-Infinity"}</td>
 *       <td>{@code 0.1f} gives {@code 0.1}</td></tr>
 *   <tr><td>{@code Boolean}, {@code String}</td><td>the same</td><td>{@code "paid"}</td></tr>
 *   <tr><td>{@code UUID}</td><td>{@code String}</td>
 *       <td>{@code "1b4e28ba-2fa1-11d2-883f-0016d3cca427"}</td></tr>
 *   <tr><td>{@code Json} ({@code json}, {@code jsonb})</td>
 *       <td>the JSON parsed as in the first table: a {@code Map}, {@code List}, {@code String},
 *       {@code Long}, {@code Double}, {@code Boolean} or {@code null}</td>
 *       <td>{@code {"a": [1, 2.50]}} gives {@code Map.of("a", List.of(1L, 2.5))}</td></tr>
 *   <tr><td>{@code byte[]} ({@code bytea})</td><td>{@code String}, base64 with padding</td>
 *       <td>{@code "AAEC/v8="}</td></tr>
 *   <tr><td>{@code LocalDate}, {@code LocalTime}, {@code OffsetTime}, {@code LocalDateTime},
 *       {@code Instant}, {@code Interval}</td>
 *       <td>{@code String}, ISO-8601 as the message holds it (seconds always present, fraction in
 *       groups of three digits, {@code Instant}s in UTC with {@code Z}, {@code "infinity"} and
 *       {@code "-infinity"})</td>
 *       <td>{@code "2026-01-02T03:04:05.123456Z"}</td></tr>
 *   <tr><td>{@code List} (arrays), {@code Map} ({@code hstore}, composites)</td>
 *       <td>{@code List}, {@code Map} of decoded values</td><td>{@code List.of(1L, 2L)}</td></tr>
 *   <tr><td>{@code Unchanged.VALUE}</td><td>{@link Unchanged#VALUE}</td><td></td></tr>
 * </table>
 *
 * <p><b>Unchanged TOASTed columns.</b> In {@code debeziumJson}, a column whose value is the text
 * {@code "__debezium_unavailable_value"} comes back as {@link Unchanged#VALUE}, in its place. The
 * other formats leave such columns out of the row image and list them in {@code "unchanged"}: they
 * come back as {@link Unchanged#VALUE} at the end of the {@code after} image (of {@code before}
 * when there is no {@code after}), since the message does not say where they were. Row images are
 * maps, so {@code equals} does not depend on that order.
 *
 * <p>Fields and attributes the decoder does not know are ignored, as the formats ask of
 * subscribers. All methods are static and thread-safe.
 */
public final class DatisMessages {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String DATIS_JSON = "datisJson";
  private static final String DEBEZIUM_JSON = "debeziumJson";
  private static final String CLOUD_EVENTS = "cloudEvents";
  private static final String CLOUD_EVENTS_BINARY = "cloudEventsBinary";

  private static final String ATTRIBUTE_CE_SPECVERSION = "ce-specversion";
  private static final String ATTRIBUTE_CE_TYPE = "ce-type";
  private static final String ATTRIBUTE_CONTENT_TYPE = "content-type";

  private static final String CLOUD_EVENTS_MEDIA_TYPE = "application/cloudevents+json";
  private static final String DATIS_TYPE_PREFIX = "io.datis.change.";

  private static final String EXPECTED =
      "expected one of Datis's message formats: datisJson (a JSON object with op, table and"
          + " position), debeziumJson (a JSON object with op and source), cloudEvents (attribute"
          + " content-type application/cloudevents+json) or cloudEventsBinary (attribute"
          + " ce-specversion), with the CloudEvents type io.datis.change.*";

  private DatisMessages() {}

  /**
   * The change event a message of any of the four formats holds.
   *
   * @throws IllegalArgumentException if the message is not one Datis publishes, or is damaged; the
   *     message says what the message held (field and attribute names, never values) and what was
   *     expected
   */
  public static ChangeEvent decode(PubsubMessage message) {
    Objects.requireNonNull(message, "message");
    Map<String, String> attributes = message.getAttributesMap();

    if (attributes.containsKey(ATTRIBUTE_CE_SPECVERSION)) {
      String type = attributes.getOrDefault(ATTRIBUTE_CE_TYPE, "");
      if (!type.startsWith(DATIS_TYPE_PREFIX)) {
        throw notDatis(
            "a binary-mode CloudEvent "
                + (type.isEmpty() ? "without type" : "of type '" + type + "'"),
            attributes);
      }
      JsonNode data = parse(message);
      if (data == null || !data.isObject()) {
        throw EnvelopeReader.malformed(
            CLOUD_EVENTS_BINARY,
            "the data is " + describeData(message, data) + ", expected the Datis JSON envelope");
      }
      return new EnvelopeReader(CLOUD_EVENTS_BINARY, attributes).datis(data, "");
    }

    JsonNode json = parse(message);
    if (json == null || !json.isObject()) {
      throw notDatis(describeData(message, json), attributes);
    }
    String contentType = attributes.getOrDefault(ATTRIBUTE_CONTENT_TYPE, "");
    if (contentType.startsWith(CLOUD_EVENTS_MEDIA_TYPE) || json.has("specversion")) {
      JsonNode type = json.get("type");
      if (type == null || !type.isTextual() || !type.textValue().startsWith(DATIS_TYPE_PREFIX)) {
        throw notDatis(
            "a structured CloudEvent "
                + (type != null && type.isTextual()
                    ? "of type '" + type.textValue() + "'"
                    : "without type"),
            attributes);
      }
      EnvelopeReader envelope = new EnvelopeReader(CLOUD_EVENTS, attributes);
      return envelope.datis(envelope.object(json, "", "data", "the Datis JSON envelope"), "data.");
    }
    if (json.path("source").isObject() && json.path("op").isTextual()) {
      return new EnvelopeReader(DEBEZIUM_JSON, attributes).debezium(json);
    }
    if (json.has("op") && json.has("table") && json.has("position")) {
      return new EnvelopeReader(DATIS_JSON, attributes).datis(json, "");
    }
    throw notDatis(describeData(message, json), attributes);
  }

  /**
   * The change events of several messages, in the same order: {@link #decode} of each.
   *
   * <pre>{@code
   * List<ChangeEvent> events = DatisMessages.decodeAll(receivedMessages);
   * }</pre>
   *
   * @return an unmodifiable list
   * @throws IllegalArgumentException if a message cannot be decoded; the message says which one
   *     (its position in the list, counted from 1, and its message id) and why
   */
  public static List<ChangeEvent> decodeAll(List<PubsubMessage> messages) {
    Objects.requireNonNull(messages, "messages");
    List<ChangeEvent> events = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      PubsubMessage message = Objects.requireNonNull(messages.get(i), "messages[" + i + "]");
      try {
        events.add(decode(message));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "Message "
                + (i + 1)
                + " of "
                + messages.size()
                + (message.getMessageId().isEmpty() ? "" : " (id " + message.getMessageId() + ")")
                + ": "
                + e.getMessage(),
            e);
      }
    }
    return Collections.unmodifiableList(events);
  }

  /** The data as JSON, or {@code null} if it is empty or not JSON. */
  private static @Nullable JsonNode parse(PubsubMessage message) {
    if (message.getData().isEmpty()) {
      return null;
    }
    try {
      JsonNode json = JSON.readTree(message.getData().toByteArray());
      return json == null || json.isMissingNode() ? null : json;
    } catch (JacksonException e) {
      return null;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read a message from memory", e);
    }
  }

  /** What the data holds, without any value: "data of 5 bytes that is not JSON", ... */
  private static String describeData(PubsubMessage message, @Nullable JsonNode json) {
    if (message.getData().isEmpty()) {
      return "a message without data";
    }
    if (json == null) {
      return "data of " + message.getData().size() + " bytes that is not JSON";
    }
    if (json.isObject()) {
      List<String> fields = new ArrayList<>();
      for (Map.Entry<String, JsonNode> field : json.properties()) {
        fields.add(field.getKey());
      }
      return fields.isEmpty() ? "an empty JSON object" : "a JSON object with the fields " + fields;
    }
    switch (json.getNodeType()) {
      case ARRAY:
        return "a JSON array";
      case STRING:
        return "a JSON string";
      case NUMBER:
        return "a JSON number";
      case BOOLEAN:
        return "a JSON boolean";
      default:
        return "JSON " + JsonValues.kind(json);
    }
  }

  private static IllegalArgumentException notDatis(String got, Map<String, String> attributes) {
    return new IllegalArgumentException(
        "Not a Datis message: got "
            + got
            + (attributes.isEmpty()
                ? " and no attributes"
                : " and the attributes " + new TreeSet<>(attributes.keySet()))
            + "; "
            + EXPECTED);
  }
}
