package io.datis.testkit.pubsub;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 *       <td>{@code 42} gives {@code 42L}: write {@code hasAfterColumn("qty", 42L)}, since {@link
 *       io.datis.testkit.ChangeEventAssert} never finds an {@code Integer} equal to a {@code
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

  private static final String ATTRIBUTE_SEQUENCE = "datis-sequence";
  private static final String ATTRIBUTE_COMMIT_TIME = "datis-commit-time";
  private static final String ATTRIBUTE_CE_SPECVERSION = "ce-specversion";
  private static final String ATTRIBUTE_CE_TYPE = "ce-type";
  private static final String ATTRIBUTE_CONTENT_TYPE = "content-type";

  private static final String CLOUD_EVENTS_MEDIA_TYPE = "application/cloudevents+json";
  private static final String DATIS_TYPE_PREFIX = "io.datis.change.";
  private static final String DEBEZIUM_UNAVAILABLE_VALUE = "__debezium_unavailable_value";

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
        throw malformed(
            CLOUD_EVENTS_BINARY,
            "the data is " + describeData(message, data) + ", expected the Datis JSON envelope");
      }
      return new Envelope(CLOUD_EVENTS_BINARY, attributes).datis(data, "");
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
      Envelope envelope = new Envelope(CLOUD_EVENTS, attributes);
      return envelope.datis(envelope.object(json, "", "data", "the Datis JSON envelope"), "data.");
    }
    if (json.path("source").isObject() && json.path("op").isTextual()) {
      return new Envelope(DEBEZIUM_JSON, attributes).debezium(json);
    }
    if (json.has("op") && json.has("table") && json.has("position")) {
      return new Envelope(DATIS_JSON, attributes).datis(json, "");
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

  // ------------------------------------------------------------------ recognising

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
        return "JSON " + kind(json);
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

  private static IllegalArgumentException malformed(String format, String problem) {
    return new IllegalArgumentException("Malformed " + format + " message: " + problem);
  }

  /** What a node is, for messages: "a string", "null", "missing"... never its value. */
  private static String kind(@Nullable JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "missing";
    }
    switch (node.getNodeType()) {
      case NULL:
        return "null";
      case BOOLEAN:
        return "a boolean";
      case NUMBER:
        return node.isIntegralNumber() ? "a whole number" : "a number with a fraction";
      case STRING:
        return "a string";
      case ARRAY:
        return "an array";
      case OBJECT:
        return "an object";
      default:
        return "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
  }

  // ------------------------------------------------------------------ decoding

  /** Reads the fields of one message, naming the format and the field in its errors. */
  private static final class Envelope {
    private final String format;
    private final Map<String, String> attributes;

    Envelope(String format, Map<String, String> attributes) {
      this.format = format;
      this.attributes = attributes;
    }

    /** The Datis envelope, at {@code path} ("" or "data.") in the message. */
    ChangeEvent datis(JsonNode envelope, String path) {
      Operation operation = operation(text(envelope, path, "op"), path + "op");
      JsonNode table = object(envelope, path, "table", "an object with schema and name");
      TableId tableId =
          table(text(table, path + "table.", "schema"), text(table, path + "table.", "name"));
      List<String> keyColumns = texts(envelope, path, "keyColumns");
      Map<String, @Nullable Object> before = image(envelope, path, "before", false);
      Map<String, @Nullable Object> after = image(envelope, path, "after", false);
      List<String> unchanged = texts(envelope, path, "unchanged");
      if (!unchanged.isEmpty()) {
        Map<String, @Nullable Object> image = after != null ? after : before;
        if (image == null) {
          throw malformed(
              format,
              path
                  + "unchanged lists "
                  + unchanged.size()
                  + " columns, but the event has no row"
                  + " image");
        }
        for (String column : unchanged) {
          image.put(column, Unchanged.VALUE);
        }
      }
      JsonNode position = object(envelope, path, "position", "an object with lsn, txId, sequence");
      String positionPath = path + "position.";
      Position at =
          position(
              lsn(text(position, positionPath, "lsn"), positionPath + "lsn"),
              wholeNumber(position, positionPath, "txId"),
              wholeNumber(position, positionPath, "sequence"));
      Instant commitTime = instant(text(envelope, path, "commitTime"), path + "commitTime");
      return build(operation, tableId, keyColumns, before, after, at, commitTime);
    }

    /** The Debezium-compatible envelope. */
    ChangeEvent debezium(JsonNode envelope) {
      String op = text(envelope, "", "op");
      Operation operation = debeziumOperation(op);
      JsonNode source = object(envelope, "", "source", "an object");
      TableId tableId = table(text(source, "source.", "schema"), text(source, "source.", "table"));
      Map<String, @Nullable Object> before = image(envelope, "", "before", true);
      Map<String, @Nullable Object> after = image(envelope, "", "after", true);
      long lsn = wholeNumber(source, "source.", "lsn");
      long txId = wholeNumber(source, "source.", "txId");
      long sequence;
      JsonNode transaction = envelope.get("transaction");
      if (transaction != null && transaction.isObject()) {
        sequence = wholeNumber(transaction, "transaction.", "total_order");
      } else {
        String attribute = attributes.get(ATTRIBUTE_SEQUENCE);
        if (attribute == null) {
          throw malformed(
              format,
              "transaction is "
                  + kind(transaction)
                  + " (as for snapshot reads) and the attribute "
                  + ATTRIBUTE_SEQUENCE
                  + " is missing, so the sequence is in neither");
        }
        sequence = parseLong(attribute, "the attribute " + ATTRIBUTE_SEQUENCE);
      }
      Instant commitTime;
      String commitAttribute = attributes.get(ATTRIBUTE_COMMIT_TIME);
      if (commitAttribute != null) {
        commitTime = instant(commitAttribute, "the attribute " + ATTRIBUTE_COMMIT_TIME);
      } else {
        long micros = wholeNumber(source, "source.", "ts_us");
        commitTime =
            Instant.ofEpochSecond(
                Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
      }
      return build(
          operation, tableId, List.of(), before, after, position(lsn, txId, sequence), commitTime);
    }

    private ChangeEvent build(
        Operation operation,
        TableId table,
        List<String> keyColumns,
        @Nullable Map<String, @Nullable Object> before,
        @Nullable Map<String, @Nullable Object> after,
        Position position,
        Instant commitTime) {
      try {
        return ChangeEvent.builder(operation, table)
            .keyColumns(keyColumns)
            .before(before)
            .after(after)
            .position(position)
            .commitTime(commitTime)
            .build();
      } catch (IllegalStateException e) {
        throw malformed(format, String.valueOf(e.getMessage()));
      }
    }

    private static Operation debeziumOperation(String op) {
      try {
        return Operation.fromDebeziumCode(op);
      } catch (IllegalArgumentException e) {
        throw malformed(DEBEZIUM_JSON, "op is '" + op + "', expected c, u, d, t or r");
      }
    }

    private Operation operation(String op, String path) {
      try {
        return Operation.valueOf(op);
      } catch (IllegalArgumentException e) {
        throw malformed(
            format,
            path + " is '" + op + "', expected INSERT, UPDATE, DELETE, TRUNCATE or SNAPSHOT_READ");
      }
    }

    private TableId table(String schema, String name) {
      try {
        return TableId.of(schema, name);
      } catch (IllegalArgumentException e) {
        throw malformed(format, "the table is invalid: " + e.getMessage());
      }
    }

    private Position position(long lsn, long txId, long sequence) {
      try {
        return Position.of(lsn, txId, sequence);
      } catch (IllegalArgumentException e) {
        throw malformed(format, "the position is invalid: " + e.getMessage());
      }
    }

    private long lsn(String text, String path) {
      try {
        return Position.parseLsn(text);
      } catch (IllegalArgumentException e) {
        throw malformed(format, path + " is not an LSN such as 0/16B3748");
      }
    }

    private Instant instant(String text, String path) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        throw malformed(
            format, path + " is not an ISO-8601 UTC time such as 2026-01-02T03:04:05.123456Z");
      }
    }

    private long parseLong(String text, String path) {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        throw malformed(format, path + " is not a whole number");
      }
    }

    JsonNode object(JsonNode parent, String path, String field, String expected) {
      JsonNode node = parent.get(field);
      if (node == null || !node.isObject()) {
        throw malformed(format, path + field + " is " + kind(node) + ", expected " + expected);
      }
      return node;
    }

    private String text(JsonNode parent, String path, String field) {
      JsonNode node = parent.get(field);
      if (node == null || !node.isTextual()) {
        throw malformed(format, path + field + " is " + kind(node) + ", expected a string");
      }
      return node.textValue();
    }

    private long wholeNumber(JsonNode parent, String path, String field) {
      JsonNode node = parent.get(field);
      if (node == null || !node.isIntegralNumber() || !node.canConvertToLong()) {
        throw malformed(format, path + field + " is " + kind(node) + ", expected a whole number");
      }
      return node.longValue();
    }

    private List<String> texts(JsonNode parent, String path, String field) {
      JsonNode node = parent.get(field);
      if (node == null || !node.isArray()) {
        throw malformed(
            format, path + field + " is " + kind(node) + ", expected an array of strings");
      }
      List<String> texts = new ArrayList<>(node.size());
      for (JsonNode element : node) {
        if (!element.isTextual()) {
          throw malformed(
              format, path + field + " holds " + kind(element) + ", expected an array of strings");
        }
        texts.add(element.textValue());
      }
      return texts;
    }

    /** A row image, or null; a mutable map so that unchanged columns can be added. */
    private @Nullable Map<String, @Nullable Object> image(
        JsonNode parent, String path, String field, boolean debeziumPlaceholders) {
      JsonNode node = parent.get(field);
      if (node != null && node.isNull()) {
        return null;
      }
      if (node == null || !node.isObject()) {
        throw malformed(
            format, path + field + " is " + kind(node) + ", expected an object or null");
      }
      Map<String, @Nullable Object> image = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> column : node.properties()) {
        JsonNode value = column.getValue();
        if (debeziumPlaceholders
            && value.isTextual()
            && value.textValue().equals(DEBEZIUM_UNAVAILABLE_VALUE)) {
          image.put(column.getKey(), Unchanged.VALUE);
        } else {
          image.put(column.getKey(), value(value));
        }
      }
      return image;
    }
  }

  /** A JSON value in the Java form documented above. */
  private static @Nullable Object value(JsonNode node) {
    switch (node.getNodeType()) {
      case NULL:
        return null;
      case BOOLEAN:
        return node.booleanValue();
      case STRING:
        return node.textValue();
      case NUMBER:
        if (node.isIntegralNumber()) {
          return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
        }
        return node.doubleValue();
      case ARRAY:
        List<@Nullable Object> elements = new ArrayList<>(node.size());
        for (JsonNode element : node) {
          elements.add(value(element));
        }
        return Collections.unmodifiableList(elements);
      case OBJECT:
        Map<String, @Nullable Object> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
          fields.put(entry.getKey(), value(entry.getValue()));
        }
        return Collections.unmodifiableMap(fields);
      default:
        throw new IllegalArgumentException("Unexpected JSON node " + node.getNodeType());
    }
  }
}
