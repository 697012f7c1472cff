package io.datis.testkit.internal;

import io.datis.api.event.ChangeEvent;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How the testkit's failure messages show events and values: an event compactly, with its key but
 * no other column values; a value quoted, shortened or in hex; long lists cut short.
 *
 * <p>Not supported API: used by the testkit's assertions, sinks and compatibility kit only.
 */
public final class EventText {

  private static final int MAX_TEXT = 60;
  private static final int MAX_BYTES = 16;
  private static final int MAX_LISTED = 20;

  private EventText() {}

  /**
   * {@code UPDATE public.orders key {id=10} at lsn 0/1A0 tx 26 #1}: no column values but the key.
   */
  public static String describe(ChangeEvent event) {
    StringBuilder text =
        new StringBuilder().append(event.operation()).append(' ').append(event.table());
    if (!event.keyColumns().isEmpty()) {
      text.append(" key {");
      String separator = "";
      for (Map.Entry<String, @Nullable Object> column : event.key().entrySet()) {
        text.append(separator).append(column.getKey()).append('=').append(value(column.getValue()));
        separator = ", ";
      }
      text.append('}');
    }
    return text.append(" at ").append(event.position()).toString();
  }

  /** One line per event, indented, at most {@value #MAX_LISTED}. */
  public static String describe(List<ChangeEvent> events) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < events.size() && i < MAX_LISTED; i++) {
      text.append("\n  ").append(describe(events.get(i)));
    }
    if (events.size() > MAX_LISTED) {
      text.append("\n  ... and ").append(events.size() - MAX_LISTED).append(" more");
    }
    return text.toString();
  }

  /** A value for a message: strings quoted, long ones shortened, byte arrays in hex. */
  public static String value(@Nullable Object value) {
    if (value instanceof String) {
      String text = (String) value;
      return '"'
          + (text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT - 3) + "..." : text)
          + '"';
    }
    if (value instanceof byte[]) {
      byte[] bytes = (byte[]) value;
      StringBuilder hex = new StringBuilder("byte[").append(bytes.length).append("] 0x");
      for (int i = 0; i < bytes.length && i < MAX_BYTES; i++) {
        hex.append(String.format("%02x", bytes[i]));
      }
      return hex.append(bytes.length > MAX_BYTES ? "..." : "").toString();
    }
    return String.valueOf(value);
  }

  /** Both values, with their types when they print the same. */
  public static String differentValue(@Nullable Object expected, @Nullable Object actual) {
    String text = value(actual);
    if (expected != null && actual != null && text.equals(value(expected))) {
      return text
          + " of type "
          + actual.getClass().getSimpleName()
          + ", not "
          + expected.getClass().getSimpleName();
    }
    return text;
  }
}
