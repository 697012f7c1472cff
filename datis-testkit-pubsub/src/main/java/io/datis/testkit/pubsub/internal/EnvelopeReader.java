package io.datis.testkit.pubsub.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads the change event out of the JSON envelope of one message of {@code DatisMessages}: the
 * Datis envelope (of {@code datisJson}, and the data of both CloudEvents formats) or the
 * Debezium-compatible one (of {@code debeziumJson}). Its errors name the format and the field,
 * never a value.
 *
 * <p>Not supported API: used by {@code DatisMessages} only.
 */
public final class EnvelopeReader {

  private static final String ATTRIBUTE_SEQUENCE = "datis-sequence";
  private static final String ATTRIBUTE_COMMIT_TIME = "datis-commit-time";
  private static final String DEBEZIUM_UNAVAILABLE_VALUE = "__debezium_unavailable_value";

  private final String format;
  private final Map<String, String> attributes;

  /** A reader of a message of {@code format} with these attributes. */
  public EnvelopeReader(String format, Map<String, String> attributes) {
    this.format = format;
    this.attributes = attributes;
  }

  /** The Datis envelope, at {@code path} ("" or "data.") in the message. */
  public ChangeEvent datis(JsonNode envelope, String path) {
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
  public ChangeEvent debezium(JsonNode envelope) {
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
                + JsonValues.kind(transaction)
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

  private Operation debeziumOperation(String op) {
    try {
      return Operation.fromDebeziumCode(op);
    } catch (IllegalArgumentException e) {
      throw malformed(format, "op is '" + op + "', expected c, u, d, t or r");
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

  /** The object {@code field} of {@code parent}, at {@code path} in the message. */
  public JsonNode object(JsonNode parent, String path, String field, String expected) {
    JsonNode node = parent.get(field);
    if (node == null || !node.isObject()) {
      throw malformed(
          format, path + field + " is " + JsonValues.kind(node) + ", expected " + expected);
    }
    return node;
  }

  private String text(JsonNode parent, String path, String field) {
    JsonNode node = parent.get(field);
    if (node == null || !node.isTextual()) {
      throw malformed(
          format, path + field + " is " + JsonValues.kind(node) + ", expected a string");
    }
    return node.textValue();
  }

  private long wholeNumber(JsonNode parent, String path, String field) {
    JsonNode node = parent.get(field);
    if (node == null || !node.isIntegralNumber() || !node.canConvertToLong()) {
      throw malformed(
          format, path + field + " is " + JsonValues.kind(node) + ", expected a whole number");
    }
    return node.longValue();
  }

  private List<String> texts(JsonNode parent, String path, String field) {
    JsonNode node = parent.get(field);
    if (node == null || !node.isArray()) {
      throw malformed(
          format, path + field + " is " + JsonValues.kind(node) + ", expected an array of strings");
    }
    List<String> texts = new ArrayList<>(node.size());
    for (JsonNode element : node) {
      if (!element.isTextual()) {
        throw malformed(
            format,
            path + field + " holds " + JsonValues.kind(element) + ", expected an array of strings");
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
          format, path + field + " is " + JsonValues.kind(node) + ", expected an object or null");
    }
    Map<String, @Nullable Object> image = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> column : node.properties()) {
      JsonNode value = column.getValue();
      if (debeziumPlaceholders
          && value.isTextual()
          && value.textValue().equals(DEBEZIUM_UNAVAILABLE_VALUE)) {
        image.put(column.getKey(), Unchanged.VALUE);
      } else {
        image.put(column.getKey(), JsonValues.value(value));
      }
    }
    return image;
  }

  /** The exception for a message of {@code format} that is damaged: {@code problem} says how. */
  public static IllegalArgumentException malformed(String format, String problem) {
    return new IllegalArgumentException("Malformed " + format + " message: " + problem);
  }
}
