package io.datis.testkit.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Starts and stops the postmaster of one embedded server with {@code pg_ctl}, run by its {@link
 * ProcessRunner}, and finds the postmaster from its pid file. The server directory holds the data
 * directory {@code data} and the server log {@code server.log}.
 */
final class PgCtl {

  private static final int START_TIMEOUT_SECONDS = 60;

  private final ProcessRunner runner;
  private final Path binDir;
  private final Path serverDir;

  PgCtl(ProcessRunner runner, Path binDir, Path serverDir) {
    this.runner = runner;
    this.binDir = binDir;
    this.serverDir = serverDir;
  }

  Path serverDir() {
    return serverDir;
  }

  Path serverLog() {
    return serverDir.resolve("server.log");
  }

  /** For messages: the file that names the postmaster's pid. */
  Path pidFile() {
    return serverDir.resolve("data/postmaster.pid");
  }

  ProcessRunner runner() {
    return runner;
  }

  /**
   * Starts the postmaster with these command-line options and waits until it accepts connections,
   * or for {@value #START_TIMEOUT_SECONDS} seconds.
   */
  ProcessRunner.Result start(List<String> options) throws IOException {
    return runner.run(
        List.of(
            pgCtl(),
            "--pgdata=" + serverDir.resolve("data"),
            "--log=" + serverLog(),
            "--wait",
            "--timeout=" + START_TIMEOUT_SECONDS,
            "--options=" + ProcessRunner.shellJoin(options),
            "start"),
        serverDir,
        Duration.ofSeconds(START_TIMEOUT_SECONDS + 30));
  }

  /** Stops the postmaster with a shutdown {@code mode} ({@code fast} or {@code immediate}). */
  ProcessRunner.Result stop(String mode) throws IOException {
    return runner.run(
        List.of(
            pgCtl(),
            "--pgdata=" + serverDir.resolve("data"),
            "--mode=" + mode,
            "--wait",
            "--timeout=30",
            "stop"),
        serverDir,
        Duration.ofSeconds(45));
  }

  /** Whether the postmaster runs, checked against its live process (it may have been killed). */
  boolean postmasterAlive() {
    return postmaster().map(ProcessHandle::isAlive).orElse(false);
  }

  /**
   * The postmaster named by the first line of {@code postmaster.pid}, if the file exists and the
   * process is a postgres (a killed server leaves its pid file, and the pid may be reused).
   */
  private Optional<ProcessHandle> postmaster() {
    Path pidFile = serverDir.resolve("data").resolve("postmaster.pid");
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
    return binDir.resolve(PostgresBinaries.executable("pg_ctl")).toString();
  }
}
