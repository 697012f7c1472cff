package io.datis.testkit.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Why an embedded server did not start, read from pg_ctl's answer and what the server logged during
 * the attempt: a message with the fix, where one is known, and whether the port was taken (then
 * another free port may be tried).
 */
record StartFailure(String message, boolean portInUse) {

  private static final int LOG_TAIL_LINES = 30;

  /**
   * Diagnoses a failed {@code pg_ctl start} of the server in {@code pgCtl}'s directory on {@code
   * port}, from its {@code result} and the server log written after {@code logOffset}.
   */
  static StartFailure diagnose(PgCtl pgCtl, int port, ProcessRunner.Result result, long logOffset) {
    Path log = pgCtl.serverLog();
    String logText = readFrom(log, logOffset);
    boolean portInUse =
        logText.contains("could not bind") || logText.contains("Address already in use");
    StringBuilder message =
        new StringBuilder("PostgreSQL failed to start on ")
            .append(EmbeddedServer.HOST)
            .append(':')
            .append(port)
            .append(" (pg_ctl exit ")
            .append(result.exitCode())
            .append(").");
    String hint = hint(pgCtl, port, logText + "\n" + result.output(), portInUse);
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

  private static String hint(PgCtl pgCtl, int port, String output, boolean portInUse) {
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
    return hintForPermissions(pgCtl, output);
  }

  private static String hintForPermissions(PgCtl pgCtl, String output) {
    String runAs = pgCtl.runner().runAs();
    if (runAs != null && output.contains("ermission denied")) {
      return "The JVM runs as root, so PostgreSQL runs as the OS user '"
          + runAs
          + "', who must be able to enter every parent directory of "
          + pgCtl.serverDir()
          + ": make them world-readable, or choose another directory with -D"
          + Directories.BASE_DIR_PROPERTY
          + "=<dir>.";
    }
    return "If the files cached in "
        + pgCtl.serverDir().getParent()
        + " are damaged, delete that directory: it is rebuilt.";
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
}
