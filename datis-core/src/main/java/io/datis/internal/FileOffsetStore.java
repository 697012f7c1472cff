package io.datis.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;
import org.jspecify.annotations.Nullable;

/**
 * Keeps a pipeline's offsets in a local {@link OffsetFile}, which a crash cannot leave cut off
 * (Kafka's {@code FileOffsetBackingStore} rewrites its file in place and reads a cut-off file as
 * "no offsets"). The engine instantiates this class by name.
 */
public final class FileOffsetStore extends MemoryOffsetBackingStore {

  static final String FILE = "datis.offsets.file";

  private @Nullable OffsetFile file;

  /** Created by the Debezium engine. */
  public FileOffsetStore() {}

  @Override
  public void configure(WorkerConfig config) {
    super.configure(config);
    file = new OffsetFile(Path.of(String.valueOf(config.originals().get(FILE))));
  }

  @Override
  public synchronized void start() {
    super.start();
    try {
      data.putAll(file().read());
    } catch (IOException e) {
      throw new ConnectException(e.getMessage(), e);
    }
  }

  @Override
  protected void save() {
    try {
      file().write(data);
    } catch (IOException e) {
      throw new ConnectException("Cannot write offsets to " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Set<Map<String, Object>> connectorPartitions(String connectorName) {
    return Set.of();
  }

  private OffsetFile file() {
    if (file == null) {
      throw new IllegalStateException("FileOffsetStore used before configure()");
    }
    return file;
  }
}
