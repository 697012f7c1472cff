package io.datis.testkit.internal;

import io.datis.testkit.DatisPostgres.FixtureException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One embedded PostgreSQL server: its data directory, initialised at the first start, and the
 * postmaster started and stopped with {@code pg_ctl}. The port and the data survive {@link
 * #stop()}; {@link #close()} deletes them.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class EmbeddedServer {

  /** Listen address of every embedded server; never reachable from other machines. */
  public static final String HOST = "127.0.0.1";

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);

  private static final int START_TIMEOUT_SECONDS = 60;
  private static final int BIND_ATTEMPTS = 3;
  private static final int LOG_TAIL_LINES = 30;

  private final String superuser;
  private final String password;
  private final ReentrantLock lock = new ReentrantLock();

  private @Nullable ProcessRunner runner;
  private @Nullable Path binDir;
  private @Nullable Path serverDir;
  private volatile int port;
  private volatile boolean started;

  /** A server whose superuser {@code superuser} logs in with {@code password} over TCP. */
  public EmbeddedServer(String superuser, String password) {
    this.superuser = superuser;
    this.password = password;
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
      boolean firstStart = serverDir == null;
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
          serverDir);
    } catch (IOException e) {
      throw new FixtureException("Could not start the embedded PostgreSQL: " + e, e);
    } finally {
      lock.unlock();
    }
  }

  /** Stops the server with a fast shutdown (immediate if that fails); keeps data and port. */
  public void stop() {
    lock.lock();
    try {
      if (started) {
        shutdown("fast");
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
    Path dir = serverDir;
    return started && dir != null && postmaster(dir).map(ProcessHandle::isAlive).orElse(false);
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
    Path template = DataTemplate.obtain(base, installDir, processRunner, superuser, password);
    Path dir = Files.createTempDirectory(base, "run-");
    runner = processRunner;
    binDir = installDir.resolve("bin");
    serverDir = dir;
    LiveServers.register(this);
    OrphanReaper.claim(dir);
    String runAs = processRunner.runAs();
    if (runAs != null) {
      Directories.chown(dir, runAs);
    }
    DataTemplate.copy(template, dir.resolve("data"), runAs);
  }

  /** Starts the postmaster; returns null on success, or what went wrong. */
  private @Nullable StartFailure startPostmaster(Map<String, String> settings) throws IOException {
    Path dir = requireDir();
    Path log = dir.resolve("server.log");
    long logOffset = Files.exists(log) ? Files.size(log) : 0;
    List<String> options = new ArrayList<>();
    settings.forEach(
        (name, value) -> {
          options.add("-c");
          options.add(name + "=" + value);
        });
    options.add("-c");
    options.add("port=" + port);
    ProcessRunner.Result result =
        requireRunner()
            .run(
                List.of(
                    pgCtl(),
                    "--pgdata=" + dir.resolve("data"),
                    "--log=" + log,
                    "--wait",
                    "--timeout=" + START_TIMEOUT_SECONDS,
                    "--options=" + ProcessRunner.shellJoin(options),
                    "start"),
                dir,
                Duration.ofSeconds(START_TIMEOUT_SECONDS + 30));
    if (result.succeeded()) {
      return null;
    }
    // A server that timed out may still come up later: make sure it does not outlive us.
    shutdownQuietly("immediate");
    String logText = readFrom(log, logOffset);
    boolean portInUse =
        logText.contains("could not bind") || logText.contains("Address already in use");
    StringBuilder message =
        new StringBuilder("PostgreSQL failed to start on ")
            .append(HOST)
            .append(':')
            .append(port)
            .append(" (pg_ctl exit ")
            .append(result.exitCode())
            .append(").");
    String hint = hint(logText + "\n" + result.output(), portInUse);
    if (!hint.isEmpty()) {
      message.append(' ').append(hint);
    }
    message.append("\npg_ctl: ").append(result.output());
    message
        .append("\nLast lines of the server log ")
        .append(log)
        .append(":\n")
        .append(tail(logText));
    return new StartFailure(message.toString(), portInUse);
  }

  private String hint(String output, boolean portInUse) {
    if (portInUse) {
      return "Port "
          + port
          + " is used by another process: stop it, or let DatisPostgres pick a free port (do not"
          + " set withSetting(\"port\", ...)).";
    }
    if (output.contains("invalid value for parameter")
        || output.contains("unrecognized configuration parameter")
        || output.contains("must be less than")
        || output.contains("must be greater than")) {
      return "A server setting is invalid: check the values given to withSetting(...).";
    }
    if (output.contains("shared memory") || output.contains("No space left on device")) {
      return "The server could not allocate shared memory: give the machine or container a larger"
          + " /dev/shm, or lower shared_buffers and max_connections with withSetting(...).";
    }
    return hintForPermissions(output);
  }

  private String hintForPermissions(String output) {
    String runAs = requireRunner().runAs();
    if (runAs != null && output.contains("ermission denied")) {
      return "The JVM runs as root, so PostgreSQL runs as the OS user '"
          + runAs
          + "', who must be able to enter every parent directory of "
          + serverDir
          + ": make them world-readable, or choose another directory with -D"
          + Directories.BASE_DIR_PROPERTY
          + "=<dir>.";
    }
    Path dir = serverDir;
    return dir == null
        ? ""
        : "If the files cached in "
            + dir.getParent()
            + " are damaged, delete that directory: it is rebuilt.";
  }

  private void shutdown(String mode) {
    Path dir = requireDir();
    try {
      ProcessRunner.Result result = pgCtlStop(mode);
      if (!result.succeeded() && isPostmasterAlive(dir) && !mode.equals("immediate")) {
        LOG.warn(
            "PostgreSQL did not stop with a {} shutdown, using immediate: {}",
            mode,
            result.output());
        result = pgCtlStop("immediate");
      }
      if (!result.succeeded() && isPostmasterAlive(dir)) {
        throw new FixtureException(
            "Could not stop PostgreSQL (pid file "
                + dir.resolve("data/postmaster.pid")
                + "): "
                + result.output(),
            null);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not stop PostgreSQL in " + dir, e);
    } finally {
      if (!isPostmasterAlive(dir)) {
        started = false;
      }
    }
  }

  private void shutdownQuietly(String mode) {
    try {
      if (isPostmasterAlive(requireDir())) {
        pgCtlStop(mode);
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Could not stop PostgreSQL after a failed start", e);
    }
  }

  private ProcessRunner.Result pgCtlStop(String mode) throws IOException {
    Path dir = requireDir();
    return requireRunner()
        .run(
            List.of(
                pgCtl(),
                "--pgdata=" + dir.resolve("data"),
                "--mode=" + mode,
                "--wait",
                "--timeout=30",
                "stop"),
            dir,
            Duration.ofSeconds(45));
  }

  /** Forgets a server whose first start failed half-way, deleting what it created. */
  private void discardQuietly() {
    try {
      deleteFiles();
    } catch (RuntimeException e) {
      LOG.debug("Could not clean up after a failed start", e);
    }
    LiveServers.unregister(this);
    serverDir = null;
    port = 0;
  }

  private void deleteFiles() {
    Path dir = serverDir;
    if (dir == null) {
      return;
    }
    if (isPostmasterAlive(dir)) {
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
    serverDir = null;
    started = false;
    port = 0;
  }

  private static boolean isPostmasterAlive(Path dir) {
    return postmaster(dir).map(ProcessHandle::isAlive).orElse(false);
  }

  /**
   * The postmaster named by the first line of {@code postmaster.pid}, if the file exists and the
   * process is a postgres (a killed server leaves its pid file, and the pid may be reused).
   */
  private static Optional<ProcessHandle> postmaster(Path dir) {
    Path pidFile = dir.resolve("data").resolve("postmaster.pid");
    try {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.ISO_8859_1);
      if (lines.isEmpty() || !lines.get(0).strip().matches("\\d+")) {
        return Optional.empty();
      }
      return ProcessHandle.of(Long.parseLong(lines.get(0).strip()))
          .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(true));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private String pgCtl() {
    Path bin = binDir;
    if (bin == null) {
      throw new IllegalStateException("not initialised");
    }
    return bin.resolve(PostgresBinaries.executable("pg_ctl")).toString();
  }

  private Path requireDir() {
    Path dir = serverDir;
    if (dir == null) {
      throw new IllegalStateException("not initialised");
    }
    return dir;
  }

  private ProcessRunner requireRunner() {
    ProcessRunner processRunner = runner;
    if (processRunner == null) {
      throw new IllegalStateException("not initialised");
    }
    return processRunner;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    }
  }

  private static String readFrom(Path file, long offset) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      int from = (int) Math.min(offset, bytes.length);
      return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no server log: " + e.getMessage() + ")";
    }
  }

  private static String tail(String text) {
    List<String> lines = text.strip().lines().toList();
    return String.join(
        "\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
  }

  @Override
  public String toString() {
    return "EmbeddedServer{" + HOST + ":" + port + ", " + serverDir + "}";
  }

  private record StartFailure(String message, boolean portInUse) {}
}
