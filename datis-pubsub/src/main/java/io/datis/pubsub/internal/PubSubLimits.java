package io.datis.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pub/Sub's limits on one message, checked before publishing so that an oversized event fails with
 * a clear message instead of an opaque {@code INVALID_ARGUMENT} from the service. The descriptions
 * name the event's table, key columns and position, and attribute names, but never row values,
 * attribute values or ordering keys (which hold key values).
 */
public final class PubSubLimits {

  /** Most attributes on one message. */
  public static final int MAX_ATTRIBUTES = 100;

  /** Longest attribute name, in UTF-8 bytes. */
  public static final int MAX_ATTRIBUTE_KEY_BYTES = 256;

  /** Longest attribute value, in UTF-8 bytes. */
  public static final int MAX_ATTRIBUTE_VALUE_BYTES = 1024;

  /** Largest message (data, attribute names and values, and ordering key), in bytes. */
  public static final int MAX_MESSAGE_BYTES = 10_000_000;

  /** Longest ordering key, in UTF-8 bytes. */
  public static final int MAX_ORDERING_KEY_BYTES = 1024;

  private PubSubLimits() {}

  /**
   * The size Pub/Sub counts for the message: its data, each attribute's name and value in UTF-8,
   * and its ordering key.
   */
  public static long size(PubsubMessage message) {
    long size = message.getData().size() + Utf8.length(message.getOrderingKey());
    for (Map.Entry<String, String> attribute : message.getAttributesMap().entrySet()) {
      size += Utf8.length(attribute.getKey()) + Utf8.length(attribute.getValue());
    }
    return size;
  }

  /**
   * The message's {@link #size}, or -1 if it breaks any of the limits that {@link #violations}
   * describes: one pass over the attributes for the common case of a message that fits.
   */
  public static long sizeWithinLimits(PubsubMessage message) {
    int orderingKeyBytes = Utf8.length(message.getOrderingKey());
    if (orderingKeyBytes > MAX_ORDERING_KEY_BYTES
        || message.getAttributesCount() > MAX_ATTRIBUTES) {
      return -1;
    }
    long size = message.getData().size() + orderingKeyBytes;
    for (Map.Entry<String, String> attribute : message.getAttributesMap().entrySet()) {
      int keyBytes = Utf8.length(attribute.getKey());
      int valueBytes = Utf8.length(attribute.getValue());
      if (keyBytes > MAX_ATTRIBUTE_KEY_BYTES || valueBytes > MAX_ATTRIBUTE_VALUE_BYTES) {
        return -1;
      }
      size += keyBytes + valueBytes;
    }
    return size > MAX_MESSAGE_BYTES ? -1 : size;
  }

  /**
   * Every limit the message breaks, one description each, or an empty list if it fits. For example
   * {@code message for public.files (key columns [id]) at lsn 0/16B3748 tx 571 #3 is 12,582,912
   * bytes, over Pub/Sub's 10 MB limit (10,000,000 bytes)}.
   *
   * @param message the encoded message
   * @param event the event it was encoded from, to name it
   */
  public static List<String> violations(PubsubMessage message, ChangeEvent event) {
    List<String> violations = new ArrayList<>(0);
    long size = size(message);
    if (size > MAX_MESSAGE_BYTES) {
      violations.add(
          describe(event)
              + " is "
              + number(size)
              + " bytes, over Pub/Sub's 10 MB limit ("
              + number(MAX_MESSAGE_BYTES)
              + " bytes)");
    }
    int attributes = message.getAttributesCount();
    if (attributes > MAX_ATTRIBUTES) {
      violations.add(
          describe(event)
              + " has "
              + attributes
              + " attributes, over Pub/Sub's limit of "
              + MAX_ATTRIBUTES
              + " (Datis sets 7, or 14 with CloudEvents binary; the rest are yours)");
    }
    for (Map.Entry<String, String> attribute : message.getAttributesMap().entrySet()) {
      int keyBytes = Utf8.length(attribute.getKey());
      if (keyBytes > MAX_ATTRIBUTE_KEY_BYTES) {
        violations.add(
            describe(event)
                + " has an attribute name of "
                + number(keyBytes)
                + " bytes, over Pub/Sub's "
                + MAX_ATTRIBUTE_KEY_BYTES
                + "-byte limit");
      } else {
        int valueBytes = Utf8.length(attribute.getValue());
        if (valueBytes > MAX_ATTRIBUTE_VALUE_BYTES) {
          violations.add(
              describe(event)
                  + " has attribute '"
                  + attribute.getKey()
                  + "' with a value of "
                  + number(valueBytes)
                  + " bytes, over Pub/Sub's "
                  + number(MAX_ATTRIBUTE_VALUE_BYTES)
                  + "-byte limit");
        }
      }
    }
    int orderingKeyBytes = Utf8.length(message.getOrderingKey());
    if (orderingKeyBytes > MAX_ORDERING_KEY_BYTES) {
      violations.add(
          describe(event)
              + " has an ordering key of "
              + number(orderingKeyBytes)
              + " bytes, over Pub/Sub's "
              + number(MAX_ORDERING_KEY_BYTES)
              + "-byte limit");
    }
    return violations;
  }

  private static String describe(ChangeEvent event) {
    return "message for "
        + event.table()
        + (event.keyColumns().isEmpty()
            ? " (no key columns)"
            : " (key columns " + event.keyColumns() + ")")
        + " at "
        + event.position();
  }

  private static String number(long value) {
    return String.format(Locale.ROOT, "%,d", value);
  }
}
