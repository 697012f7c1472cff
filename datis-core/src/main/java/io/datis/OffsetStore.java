package io.datis;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Where a pipeline keeps its offsets: how far it has delivered, so that a restarted pipeline resumes
 * there. Offsets only ever cover events the sink has acknowledged.
 *
 * <pre>{@code
 * Datis.capture(pg).offsets(OffsetStore.file(Path.of("/var/lib/myservice/orders.offsets")))
 * }</pre>
 */
public final class OffsetStore {

  private final @Nullable Path file;

  private OffsetStore(@Nullable Path file) {
    this.file = file;
  }

  /**
   * Offsets in a local file, written atomically after each commit. The parent directory is created if
   * needed. Survives restarts of the process, as long as the file does.
   */
  public static OffsetStore file(Path file) {
    Objects.requireNonNull(file, "file");
    if (file.getFileName() == null) {
      throw new IllegalArgumentException("The offset file needs a file name, not a root directory: " + file);
    }
    return new OffsetStore(file);
  }

  /**
   * Offsets in memory only, lost when the pipeline stops: a new pipeline starts from the replication
   * slot's position and, with {@link SnapshotMode#INITIAL}, snapshots again. For tests and demos.
   */
  public static OffsetStore inMemory() {
    return new OffsetStore(null);
  }

  /** The offsets file, for a file store. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  @Override
  public String toString() {
    return file == null ? "OffsetStore.inMemory()" : "OffsetStore.file(" + file + ")";
  }
}
