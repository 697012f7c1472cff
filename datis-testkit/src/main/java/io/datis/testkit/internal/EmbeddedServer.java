package io.datis.testkit.internal;

import io.datis.testkit.DatisPostgres.FixtureException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one embedded PostgreSQL server: its data directory, copied from the cached template
 * at the first start; its port, a free one unless requested (another is tried when the first is
 * taken before PostgreSQL binds it); and its postmaster, started and stopped through {@link PgCtl}.
 * The port and the data survive {@link #stop()}; {@link #close()} deletes them.
 *
 * <p>Not supported API: used by {@link EmbeddedFixtureServer} only.
 */
public final class EmbeddedServer {

  /** Listen address of every embedded server; never reachable from other machines. */
  public static final String HOST = "127.0.0.1";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);

  private static final int BIND_ATTEMPTS = 3;

  private final String superuser;
  private final String password;
  private final ReentrantLock lock = new ReentrantLock();

  private @Nullable PgCtl pgCtl;
  private volatile int port;
  private volatile boolean started;

  /** A stopped server whose data directory this one copied instead of the template. */
  private @Nullable EmbeddedServer copyOf;

  /** What the first start changes in a copied data directory before the server starts on it. */
  private @Nullable DataAdjustment adjustCopy;

  /** A change to a data directory copied from another server, made before its first start. */
  @FunctionalInterface
  public interface DataAdjustment {

    /**
     * Changes the data directory {@code data}; new files must belong to {@code owner}, the user
     * PostgreSQL runs as, when it is not {@code null}.
     */
    void adjust(Path data, @Nullable String owner) throws IOException;
  }

  /** A server whose superuser {@code superuser} logs in with {@code password} over TCP. */
  public EmbeddedServer(String superuser, String password) {
    this.superuser = superuser;
    this.password = password;
  }

  /**
   * Makes this server, which has never started, a copy of the data directory of {@code source},
   * which must be stopped, changed with {@code adjust}: how a physical standby is made without
   * {@code pg_basebackup}, which the embedded binaries lack.
   */
  public void copyDataOf(EmbeddedServer source, DataAdjustment adjust) {
    lock.lock();
    try {
      if (pgCtl != null) {
        throw new IllegalStateException("copyDataOf(...) needs a server that never started");
      }
      copyOf = source;
      adjustCopy = adjust;
      try {
        initialize();
      } catch (IOException | RuntimeException e) {
        discardQuietly();
        throw new FixtureException("Could not copy the data of " + source + ": " + e, e);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The data directory; the server must have started once. */
  public Path dataDirectory() {
    return requirePgCtl().serverDir().resolve("data");
  }

  /**
   * Starts the server with these settings ({@code -c name=value}, applied in order). The first
   * start creates the data directory and picks {@code requestedPort}, or a free port when it is 0;
   * later starts reuse both.
   */
  public void start(Map<String, String> settings, int requestedPort) {
    lock.lock();
    try {
      if (isRunning()) {
        return;
      }
      long startNanos = System.nanoTime();
      boolean firstStart = pgCtl == null;
      if (firstStart) {
        try {
          initialize();
        } catch (IOException | RuntimeException e) {
          discardQuietly();
          throw e;
        }
      }
      boolean mayPickAnotherPort = requestedPort == 0 && port == 0;
      if (requestedPort != 0) {
        port = requestedPort;
      } else if (port == 0) {
        port = freePort();
      }
      for (int attempt = 1; ; attempt++) {
        StartFailure failure = startPostmaster(settings);
        if (failure == null) {
          break;
        }
        if (mayPickAnotherPort && failure.portInUse() && attempt < BIND_ATTEMPTS) {
          LOG.debug("Port {} was taken before PostgreSQL could bind it; trying another", port);
          port = freePort();
          continue;
        }
        throw new FixtureException(failure.message(), null);
      }
      started = true;
      LOG.info(
          "PostgreSQL {} on {}:{} in {} ms ({})",
          firstStart ? "started" : "restarted",
          HOST,
          port,
          (System.nanoTime() - startNanos) / 1_000_000,
          requirePgCtl().serverDir());
    } catch (IOException e) {
      throw new FixtureException("Could not start the embedded PostgreSQL: " + e, e);
    } finally {
      lock.unlock();
    }
  }

  /** Stops the server with a fast shutdown (immediate if that fails); keeps data and port. */
  public void stop() {
    stop("fast");
  }

  /**
   * Stops the server with a shutdown of this mode ({@code fast}, or {@code immediate}: as after a
   * crash, nothing checkpointed, crash recovery at the next start); keeps data and port.
   */
  public void stop(String mode) {
    lock.lock();
    try {
      if (started) {
        shutdown(mode);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops the server and deletes its data directory. Idempotent. */
  public void close() {
    lock.lock();
    try {
      if (started) {
        shutdown("fast");
      }
      deleteFiles();
    } finally {
      lock.unlock();
    }
  }

  /** Whether the postmaster is up, checked against its live process (it may have been killed). */
  public boolean isRunning() {
    PgCtl ctl = pgCtl;
    return started && ctl != null && ctl.postmasterAlive();
  }

  /** The TCP port, or 0 before the first start. */
  public int port() {
    return port;
  }

  /**
   * Called from the shutdown hook: as fast as possible, and never blocked forever by a stuck start.
   */
  void closeOnShutdown() {
    boolean locked = false;
    try {
      locked = lock.tryLock(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (started) {
        shutdown("immediate");
      }
      deleteFiles();
    } catch (RuntimeException e) {
      // The JVM is exiting: nothing left to tell.
    } finally {
      if (locked) {
        lock.unlock();
      }
    }
  }

  private void initialize() throws IOException {
    Path base = Directories.base();
    OrphanReaper.reapOnce(base);
    ProcessRunner processRunner = ProcessRunner.forThisJvm();
    Path installDir = PostgresBinaries.install(base);
    EmbeddedServer source = copyOf;
    Path template =
        source == null
            ? DataTemplate.obtain(base, installDir, processRunner, superuser, password)
            : source.dataDirectory();
    Path dir = Files.createTempDirectory(base, "run-");
    pgCtl = new PgCtl(processRunner, installDir.resolve("bin"), dir);
    LiveServers.register(this);
    OrphanReaper.claim(dir);
    String runAs = processRunner.runAs();
    if (runAs != null) {
      Directories.chown(dir, runAs);
    }
    DataTemplate.copy(template, dir.resolve("data"), runAs);
    DataAdjustment adjust = adjustCopy;
    if (adjust != null) {
      adjust.adjust(dir.resolve("data"), runAs);
    }
  }

  /** Starts the postmaster; returns null on success, or what went wrong. */
  private @Nullable StartFailure startPostmaster(Map<String, String> settings) throws IOException {
    PgCtl ctl = requirePgCtl();
    Path log = ctl.serverLog();
    long logOffset = Files.exists(log) ? Files.size(log) : 0;
    List<String> options = new ArrayList<>();
    settings.forEach(
        (name, value) -> {
          options.add("-c");
          options.add(name + "=" + value);
        });
    options.add("-c");
    options.add("port=" + port);
    ProcessRunner.Result result = ctl.start(options);
    if (result.succeeded()) {
      return null;
    }
    // A server that timed out may still come up later: make sure it does not outlive us.
    shutdownQuietly("immediate");
    return StartFailure.diagnose(ctl, port, result, logOffset);
  }

  private void shutdown(String mode) {
    PgCtl ctl = requirePgCtl();
    try {
      ProcessRunner.Result result = ctl.stop(mode);
      if (!result.succeeded() && ctl.postmasterAlive() && !mode.equals("immediate")) {
        LOG.warn(
            "PostgreSQL did not stop with a {} shutdown, using immediate: {}",
            mode,
            result.output());
        result = ctl.stop("immediate");
      }
      if (!result.succeeded() && ctl.postmasterAlive()) {
        throw new FixtureException(
            "Could not stop PostgreSQL (pid file " + ctl.pidFile() + "): " + result.output(), null);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not stop PostgreSQL in " + ctl.serverDir(), e);
    } finally {
      if (!ctl.postmasterAlive()) {
        started = false;
      }
    }
  }

  private void shutdownQuietly(String mode) {
    try {
      PgCtl ctl = requirePgCtl();
      if (ctl.postmasterAlive()) {
        ctl.stop(mode);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Could not stop PostgreSQL after a failed start", e);
    }
  }

  /** Forgets a server whose first start failed half-way, deleting what it created. */
  private void discardQuietly() {
    try {
      deleteFiles();
    } catch (RuntimeException e) {
      LOG.debug("Could not clean up after a failed start", e);
    }
    LiveServers.unregister(this);
    pgCtl = null;
    port = 0;
  }

  private void deleteFiles() {
    PgCtl ctl = pgCtl;
    if (ctl == null) {
      return;
    }
    Path dir = ctl.serverDir();
    if (ctl.postmasterAlive()) {
      throw new FixtureException(
          "PostgreSQL still runs from " + dir + " and could not be stopped; its files are kept.",
          null);
    }
    try {
      Directories.deleteRecursively(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not delete the PostgreSQL data directory " + dir, e);
    }
    LiveServers.unregister(this);
    pgCtl = null;
    started = false;
    port = 0;
  }

  private PgCtl requirePgCtl() {
    PgCtl ctl = pgCtl;
    if (ctl == null) {
      throw new IllegalStateException("not initialised");
    }
    return ctl;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    }
  }

  @Override
  public String toString() {
    PgCtl ctl = pgCtl;
    return "EmbeddedServer{"
        + HOST
        + ":"
        + port
        + ", "
        + (ctl == null ? null : ctl.serverDir())
        + "}";
  }
}
