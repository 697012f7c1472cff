package io.datis.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.util.SafeObjectInputStream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file of offsets that a crash cannot cut off: each write goes to a temporary file that is
 * flushed to disk and then renamed over the file, after the file itself was renamed to {@code
 * <file>.previous}. A reader so finds the newest complete file or, if a crash fell between the two
 * renames or the file was damaged, the previous one. A file that cannot be read, with no previous
 * copy to fall back on, is an error: treating it as "no offsets" would start the pipeline from
 * scratch.
 *
 * <p>The content is that of Kafka's {@code FileOffsetBackingStore} (a serialized map of key bytes
 * to value bytes), so files written before Datis had this class are read as they are.
 */
final class OffsetFile {

  private static final Logger log = LoggerFactory.getLogger(OffsetFile.class);

  private static final String FIX =
      "Starting without offsets would read the tables again or skip changes. Fix: restore the file from a"
          + " backup; or, to start the pipeline afresh, delete the offsets file and its .previous and .slot"
          + " files";

  private final Path file;
  private final Path previous;
  private final Path temporary;

  OffsetFile(Path file) {
    this.file = file.toAbsolutePath();
    this.previous = sibling(this.file, ".previous");
    this.temporary = sibling(this.file, ".tmp");
  }

  /** A file beside another, named after it with a suffix (used for the slot marker too). */
  static Path sibling(Path file, String suffix) {
    return file.resolveSibling(file.getFileName() + suffix);
  }

  /**
   * The file's offsets. If the file was damaged, those of its previous copy, with a warning. If the
   * file is missing because a crash fell between the two renames of a write, those of the complete
   * temporary file, which then takes the file's place. Empty if there is no file at all (never
   * written, or deleted with its previous copy to start afresh).
   *
   * @throws IOException if the file cannot be read and there is no previous copy to fall back on,
   *     or it is missing while its previous copy is there (deleted alone: starting afresh needs
   *     both gone)
   */
  Map<ByteBuffer, ByteBuffer> read() throws IOException {
    Map<ByteBuffer, ByteBuffer> current;
    try {
      current = readFile(file);
    } catch (IOException | RuntimeException e) {
      return readPrevious(e);
    }
    if (current != null) {
      return current;
    }
    if (!Files.exists(previous)) {
      return new HashMap<>(); // never written: a write in progress had not replaced anything yet
    }
    Map<ByteBuffer, ByteBuffer> interrupted = readInterruptedWrite();
    if (interrupted == null) {
      throw new IOException(
          "The offsets file "
              + file
              + " is missing, but its previous copy "
              + previous
              + " is there. Fix: restore the file; or, to start the pipeline afresh, delete the previous copy"
              + " and the .slot file too");
    }
    return interrupted;
  }

  /**
   * The temporary file of a write that a crash stopped between its renames, if it is complete; it
   * is renamed into place, so that the next write's temporary file cannot destroy it.
   */
  private @Nullable Map<ByteBuffer, ByteBuffer> readInterruptedWrite() throws IOException {
    Map<ByteBuffer, ByteBuffer> offsets;
    try {
      offsets = readFile(temporary);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    if (offsets != null) {
      log.warn(
          "The offsets file {} was missing after an interrupted write; resuming from {}, which was complete",
          file,
          temporary);
      move(temporary, file);
      syncDirectory(file.getParent());
    }
    return offsets;
  }

  private Map<ByteBuffer, ByteBuffer> readPrevious(Exception damage) throws IOException {
    Map<ByteBuffer, ByteBuffer> older;
    try {
      older = readFile(previous);
    } catch (IOException | RuntimeException e) {
      throw new IOException(
          "The offsets file "
              + file
              + " cannot be read ("
              + damage
              + "), and neither can its previous copy "
              + previous
              + " ("
              + e
              + "). "
              + FIX,
          damage);
    }
    if (older == null) {
      throw new IOException(
          "The offsets file "
              + file
              + " cannot be read ("
              + damage
              + ") and has no previous copy. "
              + FIX,
          damage);
    }
    log.warn(
        "The offsets file {} cannot be read ({}); resuming from its previous copy {}, one commit older: the"
            + " changes of that commit are delivered again",
        file,
        damage.toString(),
        previous);
    return older;
  }

  /** The offsets in one file; {@code null} if it does not exist. */
  private static @Nullable Map<ByteBuffer, ByteBuffer> readFile(Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path);
        SafeObjectInputStream objects = new SafeObjectInputStream(in)) {
      Object content = objects.readObject();
      if (!(content instanceof HashMap)) {
        throw new IOException(
            "expected a map of offsets, found "
                + (content == null ? "null" : content.getClass().getName()));
      }
      Map<ByteBuffer, ByteBuffer> offsets = new HashMap<>();
      for (Map.Entry<?, ?> entry : ((Map<?, ?>) content).entrySet()) {
        offsets.put(wrap(entry.getKey()), wrap(entry.getValue()));
      }
      return offsets;
    } catch (NoSuchFileException e) {
      return null;
    } catch (ClassNotFoundException e) {
      throw new IOException(e.toString(), e);
    }
  }

  private static @Nullable ByteBuffer wrap(@Nullable Object bytes) throws IOException {
    if (bytes == null) {
      return null;
    }
    if (!(bytes instanceof byte[])) {
      throw new IOException(
          "expected bytes in the map of offsets, found " + bytes.getClass().getName());
    }
    return ByteBuffer.wrap((byte[]) bytes);
  }

  /** Replaces the file's offsets, keeping the file it replaces as the previous copy. */
  void write(Map<ByteBuffer, ByteBuffer> offsets) throws IOException {
    Map<byte[], byte[]> raw = new HashMap<>();
    for (Map.Entry<ByteBuffer, ByteBuffer> entry : offsets.entrySet()) {
      raw.put(bytes(entry.getKey()), bytes(entry.getValue()));
    }
    Path parent = file.getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (FileChannel channel =
            FileChannel.open(
                temporary,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        OutputStream out = java.nio.channels.Channels.newOutputStream(channel);
        ObjectOutputStream objects = new ObjectOutputStream(out)) {
      objects.writeObject(raw);
      objects.flush();
      channel.force(true);
    }
    if (Files.exists(file)) {
      move(file, previous);
    }
    move(temporary, file);
    syncDirectory(parent);
  }

  /** Deletes the file and its previous copy. */
  void delete() throws IOException {
    Files.deleteIfExists(file);
    Files.deleteIfExists(previous);
    Files.deleteIfExists(temporary);
  }

  /** Writes a small text file the same way: complete, or not at all. */
  static void writeAtomically(Path target, String text) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path parent = absolute.getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path temporary = sibling(absolute, ".tmp");
    try (FileChannel channel =
        FileChannel.open(
            temporary,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer content = ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      while (content.hasRemaining()) {
        channel.write(content);
      }
      channel.force(true);
    }
    move(temporary, absolute);
    syncDirectory(parent);
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Makes the renames durable; some platforms cannot open a directory, and then rely on the file
   * system.
   */
  private static void syncDirectory(@Nullable Path directory) {
    if (directory == null) {
      return;
    }
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      log.debug("Cannot sync directory {}: {}", directory, e.toString());
    }
  }

  private static byte @Nullable [] bytes(@Nullable ByteBuffer buffer) {
    if (buffer == null) {
      return null;
    }
    ByteBuffer copy = buffer.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
