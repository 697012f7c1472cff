package io.datis.pubsub.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.TableId;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The ordering keys behind {@link io.datis.pubsub.OrderingKeys}. */
public final class OrderingKeySupport {

  /** Pub/Sub's largest ordering key, in UTF-8 bytes. */
  public static final int MAX_BYTES = PubSubLimits.MAX_ORDERING_KEY_BYTES;

  private static final JsonFactory JSON = JsonFactory.builder().build();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private OrderingKeySupport() {}

  /**
   * {@code schema.table:[v1,v2,...]}: the table and its key values as a compact JSON array, with
   * the values written as in the messages (e.g. {@code public.orders:[10]}, {@code
   * public.order_lines:[10,"A-1"]}); {@code schema.table} alone when the table has no key; {@code
   * ""} for truncates.
   */
  public static String tableAndKey(ChangeEvent event) {
    if (event.operation() == Operation.TRUNCATE) {
      return "";
    }
    String table = event.table().toString();
    List<String> keyColumns = event.keyColumns();
    if (keyColumns.isEmpty()) {
      return table;
    }
    Map<String, @Nullable Object> image = event.after().or(event::before).orElse(null);
    if (image == null) {
      return table;
    }
    if (keyColumns.size() == 1) {
      Object value = image.get(keyColumns.get(0));
      if (value instanceof Integer || value instanceof Long || value instanceof Short) {
        return table + ":[" + value + ']';
      }
    }
    StringWriter text = new StringWriter(table.length() + 24);
    text.append(table).append(':');
    try (JsonGenerator json = JSON.createGenerator(text)) {
      json.writeStartArray();
      for (String column : keyColumns) {
        DatisEnvelope.writeColumn(json, event, column, image.get(column), null);
      }
      json.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the ordering key of " + event + " to memory", e);
    }
    return text.toString();
  }

  /**
   * Returns {@code key} if it fits Pub/Sub's 1,024-byte limit, and otherwise {@code
   * schema.table:sha256:<64 hex digits>}, the SHA-256 of the key's UTF-8 bytes: still one key per
   * row, deterministic, and short.
   */
  public static String fit(TableId table, String key) {
    if (key.length() * 3 <= MAX_BYTES || Utf8.length(key) <= MAX_BYTES) {
      return key;
    }
    byte[] digest = sha256().digest(key.getBytes(StandardCharsets.UTF_8));
    StringBuilder hashed = new StringBuilder(table.toString().length() + 8 + 64);
    hashed.append(table).append(":sha256:");
    for (byte b : digest) {
      hashed.append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
    }
    return hashed.toString();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(
          "This JVM has no SHA-256, which every Java platform must have", e);
    }
  }
}
