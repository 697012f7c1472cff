package io.datis.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A process that writes offsets to an {@link OffsetFile} as fast as it can, printing each counter
 * once its write has returned, until it is killed: for {@link OffsetFileKillTest}.
 */
final class OffsetFileWriter {

  private OffsetFileWriter() {}

  public static void main(String[] args) throws Exception {
    OffsetFile file = new OffsetFile(Path.of(args[0]));
    long counter = Long.parseLong(args[1]);
    // Offsets of realistic size: a few hundred bytes, as Debezium's.
    String padding = "x".repeat(300);
    while (true) {
      counter++;
      Map<ByteBuffer, ByteBuffer> offsets = new HashMap<>();
      offsets.put(bytes("counter"), bytes(Long.toString(counter)));
      offsets.put(bytes("padding"), bytes(padding));
      file.write(offsets);
      System.out.println(counter);
    }
  }

  private static ByteBuffer bytes(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
  }
}
