package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offsets file survives damage and interrupted writes, and says so when it cannot. */
class OffsetFileTest {

  @TempDir Path directory;

  @Test
  void readsWhatItWrote() throws IOException {
    OffsetFile file = new OffsetFile(directory.resolve("p.offsets"));
    file.write(offsets("k", "1"));
    file.write(offsets("k", "2"));

    assertThat(text(file.read())).containsExactly(Map.entry("k", "2"));
    assertThat(text(new OffsetFile(directory.resolve("p.offsets.previous")).read()))
        .containsExactly(Map.entry("k", "1"));
  }

  @Test
  void readsAFileInTheFormatOfKafkasFileOffsetBackingStore() throws IOException {
    Path path = directory.resolve("kafka.offsets");
    Map<byte[], byte[]> raw = new HashMap<>();
    raw.put("k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8));
    try (OutputStream out = Files.newOutputStream(path);
        ObjectOutputStream objects = new ObjectOutputStream(out)) {
      objects.writeObject(raw);
    }

    assertThat(text(new OffsetFile(path).read())).containsExactly(Map.entry("k", "v"));
  }

  @Test
  void fallsBackToThePreviousCopyWhenTheFileIsDamaged() throws IOException {
    Path path = directory.resolve("p.offsets");
    OffsetFile file = new OffsetFile(path);
    file.write(offsets("k", "1"));
    file.write(offsets("k", "2"));
    byte[] content = Files.readAllBytes(path);
    Files.write(path, java.util.Arrays.copyOf(content, content.length / 2));

    assertThat(text(file.read())).containsExactly(Map.entry("k", "1"));
  }

  @Test
  void failsOnADamagedFileWithoutPreviousCopyInsteadOfStartingWithoutOffsets() throws IOException {
    Path path = directory.resolve("p.offsets");
    Files.write(path, new byte[0]);

    assertThatThrownBy(() -> new OffsetFile(path).read())
        .isInstanceOf(IOException.class)
        .hasMessage(
            "The offsets file "
                + path
                + " cannot be read (java.io.EOFException) and has no previous copy. Starting without offsets would"
                + " read the tables again or skip changes. Fix: restore the file from a backup; or, to start the"
                + " pipeline afresh, delete the offsets file and its .previous and .slot files");
  }

  @Test
  void failsWhenTheFileAndItsPreviousCopyAreDamaged() throws IOException {
    Path path = directory.resolve("p.offsets");
    Files.write(path, new byte[] {1, 2, 3});
    Files.write(directory.resolve("p.offsets.previous"), new byte[0]);

    assertThatThrownBy(() -> new OffsetFile(path).read())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("p.offsets cannot be read (java.io.EOFException)")
        .hasMessageContaining(
            "and neither can its previous copy " + directory.resolve("p.offsets.previous"));
  }

  @Test
  void completesAWriteThatACrashStoppedBetweenItsRenames() throws IOException {
    Path path = directory.resolve("p.offsets");
    OffsetFile file = new OffsetFile(path);
    file.write(offsets("k", "1"));
    file.write(offsets("k", "2"));
    // The state a crash leaves after the file became the previous copy and before the new one took
    // its place.
    Files.move(
        path,
        directory.resolve("p.offsets.tmp"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThat(text(file.read())).containsExactly(Map.entry("k", "2"));
  }

  @Test
  void completesAnInterruptedWriteSoThatTheNextWriteCannotLoseIt() throws IOException {
    Path path = directory.resolve("p.offsets");
    OffsetFile file = new OffsetFile(path);
    file.write(offsets("k", "1"));
    file.write(offsets("k", "2"));
    Files.move(
        path,
        directory.resolve("p.offsets.tmp"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    file.read();
    // A second crash, while the next write fills its temporary file.
    Files.write(directory.resolve("p.offsets.tmp"), new byte[] {1});

    assertThat(text(file.read())).containsExactly(Map.entry("k", "2"));
  }

  @Test
  void aFileDeletedWithItsPreviousCopyMeansNoOffsets() throws IOException {
    Path path = directory.resolve("p.offsets");
    OffsetFile file = new OffsetFile(path);
    file.write(offsets("k", "1"));
    file.write(offsets("k", "2"));
    Files.delete(path);
    Files.delete(directory.resolve("p.offsets.previous"));

    assertThat(file.read()).isEmpty();
  }

  @Test
  void aFileDeletedWithoutItsPreviousCopyIsAnError() throws IOException {
    Path path = directory.resolve("p.offsets");
    OffsetFile file = new OffsetFile(path);
    file.write(offsets("k", "1"));
    file.write(offsets("k", "2"));
    Files.delete(path);

    assertThatThrownBy(file::read)
        .isInstanceOf(IOException.class)
        .hasMessage(
            "The offsets file "
                + path
                + " is missing, but its previous copy "
                + directory.resolve("p.offsets.previous")
                + " is there. Fix: restore the file; or, to start the pipeline afresh, delete the previous copy"
                + " and the .slot file too");
  }

  private static Map<ByteBuffer, ByteBuffer> offsets(String key, String value) {
    Map<ByteBuffer, ByteBuffer> offsets = new HashMap<>();
    offsets.put(
        ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)),
        ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
    return offsets;
  }

  private static Map<String, String> text(Map<ByteBuffer, ByteBuffer> offsets) {
    Map<String, String> text = new HashMap<>();
    offsets.forEach(
        (k, v) ->
            text.put(
                StandardCharsets.UTF_8.decode(k.duplicate()).toString(),
                StandardCharsets.UTF_8.decode(v.duplicate()).toString()));
    return text;
  }
}
