package io.datis.testkit.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Directories built once per machine and shared by every JVM: the extracted binaries and the
 * initialised data directory template.
 *
 * <p>Several JVMs (surefire forks) may need the same entry at once. The first one takes a file
 * lock, builds the entry in a temporary sibling directory and renames it into place; the others
 * wait on the lock and then find the finished entry. An entry under its final name is therefore
 * always complete.
 */
final class MachineCache {

  private static final String COMPLETE_MARKER = ".datis-complete";

  private MachineCache() {}

  /** Builds the contents of a new entry into an empty directory. */
  @FunctionalInterface
  interface Builder {
    void build(Path emptyDir) throws IOException;
  }

  /**
   * Returns {@code base/name}, building it first if no JVM has. Synchronized because a JVM may not
   * hold two locks on one file, even from two threads.
   */
  static synchronized Path obtain(Path base, String name, Builder builder) throws IOException {
    Path target = base.resolve(name);
    if (isComplete(target)) {
      return target;
    }
    try (FileChannel channel =
        FileChannel.open(
            base.resolve(name + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      channel.lock(); // held until the channel closes; waits while another JVM builds
      if (isComplete(target)) {
        return target;
      }
      // We hold the lock: leftovers are from a JVM that died while building.
      try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(base, name + ".tmp-*")) {
        for (Path leftover : leftovers) {
          Directories.deleteRecursively(leftover);
        }
      }
      Directories.deleteRecursively(target);
      Path temp = Files.createTempDirectory(base, name + ".tmp-");
      try {
        builder.build(temp);
        Files.createFile(temp.resolve(COMPLETE_MARKER));
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException e) {
        Directories.deleteRecursively(temp);
        throw e;
      }
    }
    return target;
  }

  private static boolean isComplete(Path target) {
    return Files.isRegularFile(target.resolve(COMPLETE_MARKER));
  }
}
