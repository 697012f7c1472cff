package io.datis.testkit.pubsub.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The JSON values of Datis's messages: as the Java values that {@code DatisMessages} documents, and
 * as error messages describe them, by their kind and never their value.
 *
 * <p>Not supported API: used by {@code DatisMessages} only.
 */
public final class JsonValues {

  private JsonValues() {}

  /** A JSON value in the Java form {@code DatisMessages} documents. */
  public static @Nullable Object value(JsonNode node) {
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

  /** What a node is, for messages: "a string", "null", "missing"... never its value. */
  public static String kind(@Nullable JsonNode node) {
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
}
