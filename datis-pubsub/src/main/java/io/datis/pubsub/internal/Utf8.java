package io.datis.pubsub.internal;

/** UTF-8 sizes of Java strings, computed without encoding them. */
final class Utf8 {

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
}
