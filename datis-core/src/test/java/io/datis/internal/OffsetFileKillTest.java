package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed with SIGKILL while it writes offsets in a loop leaves a file that the next start
 * reads, holding at least the last write that returned. (Kafka's FileOffsetBackingStore, which
 * rewrites the file in place, left it cut off and read it as "no offsets".)
 */
class OffsetFileKillTest {

  private static final int KILLS = 5;

  @TempDir Path directory;

  @Test
  void aKilledWriterLeavesTheLastCompletedOffsetsReadable() throws Exception {
    Path path = directory.resolve("killed.offsets");
    long seed = Long.getLong("datis.faults.seed", System.nanoTime());
    Random random = new Random(seed);
    long counter = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      Process writer =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  OffsetFileWriter.class.getName(),
                  path.toString(),
                  Long.toString(counter))
              .redirectErrorStream(true)
              .start();
      AtomicLong lastReturned = new AtomicLong(-1);
      Thread reader = new Thread(() -> readCounters(writer, lastReturned));
      reader.start();
      // Let it write for a while (it writes thousands of times a second), then kill it mid-loop.
      long written = counter + 200 + random.nextInt(2_000);
      while (lastReturned.get() < written && writer.isAlive()) {
        Thread.sleep(1);
      }
      writer.destroyForcibly();
      assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
      reader.join();

      Map<ByteBuffer, ByteBuffer> offsets = new OffsetFile(path).read();

      long stored =
          Long.parseLong(StandardCharsets.UTF_8.decode(offsets.get(bytes("counter"))).toString());
      assertThat(stored)
          .as("kill %d (seed %d): the counter stored", kill, seed)
          .isGreaterThanOrEqualTo(lastReturned.get());
      counter = stored;
    }
  }

  private static void readCounters(Process writer, AtomicLong lastReturned) {
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.chars().allMatch(Character::isDigit) && !line.isEmpty()) {
          lastReturned.set(Long.parseLong(line));
        }
      }
    } catch (java.io.IOException e) {
      // the writer was killed
    }
  }

  private static ByteBuffer bytes(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
  }
}
