package io.datis.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Recognizes the values Debezium substitutes for unchanged TOASTed columns. Datis configures its
 * own placeholder text (not Debezium's default) so that no real column value can be mistaken for
 * it; the shapes below mirror Debezium's {@code UnchangedToastedPlaceholder}, one per column type
 * family.
 */
final class ToastPlaceholder {

  /** The text given to Debezium as {@code unavailable.value.placeholder}. */
  static final String TEXT = "__datis_unchanged_toast_2f6c1e__";

  private static final byte[] BYTES = TEXT.getBytes(StandardCharsets.UTF_8);
  private static final List<String> TEXT_ARRAY = List.of(TEXT);
  private static final List<String> UUID_ARRAY = List.of(UUID.nameUUIDFromBytes(BYTES).toString());
  private static final List<Integer> INT_ARRAY = new ArrayList<>();
  private static final List<Long> BIGINT_ARRAY = new ArrayList<>();
  private static final Map<String, String> HSTORE = Map.of(TEXT, TEXT);

  static {
    for (byte b : BYTES) {
      INT_ARRAY.add((int) b);
      BIGINT_ARRAY.add((long) b);
    }
  }

  private ToastPlaceholder() {}

  static boolean isText(Object value) {
    return TEXT.equals(value);
  }

  static boolean isBytes(Object value) {
    if (value instanceof byte[]) {
      return Arrays.equals((byte[]) value, BYTES);
    }
    return value instanceof ByteBuffer && ((ByteBuffer) value).equals(ByteBuffer.wrap(BYTES));
  }

  static boolean isArray(Object value) {
    if (!(value instanceof List)) {
      return false;
    }
    List<?> list = (List<?>) value;
    if (list.size() == 1) {
      Object only = list.get(0);
      return TEXT_ARRAY.equals(list) || UUID_ARRAY.equals(list) || (only != null && isBytes(only));
    }
    return list.size() == BYTES.length && (INT_ARRAY.equals(list) || BIGINT_ARRAY.equals(list));
  }

  static boolean isMap(Object value) {
    return HSTORE.equals(value);
  }
}
