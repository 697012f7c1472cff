package io.datis.internal;

import io.datis.api.event.ChangeEvent;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A cheap estimate of the heap an event takes, dominated by its text and binary values: enough to
 * bound memory by bytes without walking object graphs.
 */
final class EventSize {

  private static final long EVENT_OVERHEAD = 256;
  private static final long VALUE_OVERHEAD = 24;

  private EventSize() {}

  /**
   * The event's row images; its key is not counted again, since the key's values are the same
   * objects as in the images (and building the key map for every event cost half of Datis's own
   * time per event in the benchmark).
   */
  static long estimate(ChangeEvent event) {
    long size = EVENT_OVERHEAD;
    size += event.before().map(EventSize::valuesOf).orElse(0L);
    size += event.after().map(EventSize::valuesOf).orElse(0L);
    return size;
  }

  private static long valuesOf(Map<String, ? extends @Nullable Object> row) {
    long size = 0;
    for (Object value : row.values()) {
      size += of(value);
    }
    return size;
  }

  private static long of(@Nullable Object value) {
    if (value instanceof CharSequence) {
      return VALUE_OVERHEAD + ((CharSequence) value).length();
    }
    if (value instanceof byte[]) {
      return VALUE_OVERHEAD + ((byte[]) value).length;
    }
    if (value instanceof ByteBuffer) {
      return VALUE_OVERHEAD + ((ByteBuffer) value).remaining();
    }
    if (value instanceof Collection) {
      long size = VALUE_OVERHEAD;
      for (Object element : (Collection<?>) value) {
        size += of(element);
      }
      return size;
    }
    if (value instanceof Map) {
      long size = VALUE_OVERHEAD;
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
        size += of(entry.getKey()) + of(entry.getValue());
      }
      return size;
    }
    return VALUE_OVERHEAD;
  }
}
