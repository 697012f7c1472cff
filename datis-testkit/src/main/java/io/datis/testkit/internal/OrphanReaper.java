package io.datis.testkit.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cleans up after JVMs that were killed outright ({@code kill -9}, a CI timeout), which no shutdown
 * hook survives: their servers would otherwise run, and their data directories stay, forever.
 *
 * <p>Every server directory holds an owner file with the pid and start time of the JVM that created
 * it. Once per JVM, before the first start, directories whose owner is gone have their postmaster
 * stopped and are deleted.
 */
final class OrphanReaper {

  static final String OWNER_FILE = "owner";

  private static final Logger LOG = LoggerFactory.getLogger(OrphanReaper.class);

  private static final Duration GRACE = Duration.ofMinutes(1);

  private static boolean reaped;

  private OrphanReaper() {}

  /** Writes the owner file of a new server directory. */
  static void claim(Path serverDir) throws IOException {
    ProcessHandle me = ProcessHandle.current();
    String started = me.info().startInstant().map(i -> Long.toString(i.toEpochMilli())).orElse("");
    Files.writeString(serverDir.resolve(OWNER_FILE), me.pid() + "\n" + started + "\n");
  }

  /** Reaps the orphans under {@code base}, the first time only; never fails the caller. */
  static synchronized void reapOnce(Path base) {
    if (reaped) {
      return;
    }
    reaped = true;
    try (FileChannel channel =
            FileChannel.open(
                base.resolve("reaper.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        DirectoryStream<Path> dirs = Files.newDirectoryStream(base, "run-*")) {
      channel.lock(); // held until the channel closes
      for (Path dir : dirs) {
        try {
          if (isOrphan(dir)) {
            reap(dir);
          }
        } catch (IOException | RuntimeException e) {
          LOG.debug("Could not clean up {}", dir, e);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Could not look for PostgreSQL servers left by killed JVMs in {}", base, e);
    }
  }

  private static boolean isOrphan(Path dir) throws IOException {
    Path ownerFile = dir.resolve(OWNER_FILE);
    List<String> lines =
        Files.exists(ownerFile)
            ? Files.readAllLines(ownerFile, StandardCharsets.ISO_8859_1)
            : List.of();
    if (lines.isEmpty() || !lines.get(0).matches("\\d+")) {
      // Either being created right now, or left by a JVM killed in that instant.
      return Files.getLastModifiedTime(dir).toInstant().isBefore(Instant.now().minus(GRACE));
    }
    Optional<ProcessHandle> owner = ProcessHandle.of(Long.parseLong(lines.get(0)));
    if (owner.isEmpty() || !owner.get().isAlive()) {
      return true;
    }
    // The pid is alive: it is still the owner unless the pid was reused by a later process. Start
    // times are compared loosely, since a live server must never be taken for an orphan.
    String started = lines.size() > 1 ? lines.get(1).strip() : "";
    Optional<Instant> actual = owner.get().info().startInstant();
    return started.matches("\\d+")
        && actual.isPresent()
        && Math.abs(actual.get().toEpochMilli() - Long.parseLong(started)) > 2_000;
  }

  private static void reap(Path dir) throws IOException {
    Path pidFile = dir.resolve("data").resolve("postmaster.pid");
    if (Files.exists(pidFile)) {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.ISO_8859_1);
      if (!lines.isEmpty() && lines.get(0).strip().matches("\\d+")) {
        ProcessHandle.of(Long.parseLong(lines.get(0).strip()))
            .filter(ProcessHandle::isAlive)
            .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(true))
            .ifPresent(postmaster -> stop(postmaster, pidFile));
      }
    }
    Directories.deleteRecursively(dir);
  }

  private static void stop(ProcessHandle postmaster, Path pidFile) {
    LOG.warn(
        "Stopping PostgreSQL (pid {}) left running by a JVM that was killed, and deleting {}",
        postmaster.pid(),
        pidFile.toAbsolutePath().getParent());
    // SIGTERM is a smart shutdown; the clients died with their JVM, so it completes at once. The
    // postmaster removes its pid file last; waiting for the process could wait for a slow init to
    // reap the zombie.
    postmaster.destroy();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try {
      while (Files.exists(pidFile) && postmaster.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (Files.exists(pidFile) && postmaster.isAlive()) {
      postmaster.destroyForcibly();
    }
  }
}
