package io.datis.pubsub.internal;

/** UTF-8 sizes of Java strings, computed without encoding them, and strings cut to a size. */
final class Utf8 {

  private static final String ELLIPSIS = "\u2026";
  private static final int ELLIPSIS_BYTES = 3;

  private Utf8() {}

  /**
   * The number of bytes {@code text} takes in UTF-8 (an unpaired surrogate counts as 3 bytes: an
   * upper bound).
   */
  static int length(String text) {
    int bytes = 0;
    int length = text.length();
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < length
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /**
   * {@code text} itself if it takes at most {@code maxBytes} bytes in UTF-8; otherwise its longest
   * prefix that fits with {@code "…"} (3 bytes) appended, cut between characters, never inside a
   * surrogate pair.
   *
   * @param maxBytes at least 3
   */
  static String truncate(String text, int maxBytes) {
    if (maxBytes < ELLIPSIS_BYTES) {
      throw new IllegalArgumentException(
          "maxBytes must be at least " + ELLIPSIS_BYTES + ", but was " + maxBytes);
    }
    if (length(text) <= maxBytes) {
      return text;
    }
    int budget = maxBytes - ELLIPSIS_BYTES;
    int bytes = 0;
    int end = 0;
    while (end < text.length()) {
      int codePoint = text.codePointAt(end);
      int size = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
      if (bytes + size > budget) {
        break;
      }
      bytes += size;
      end += Character.charCount(codePoint);
    }
    return text.substring(0, end) + ELLIPSIS;
  }
}
