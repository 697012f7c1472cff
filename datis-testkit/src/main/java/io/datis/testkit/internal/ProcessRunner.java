package io.datis.testkit.internal;

import io.datis.testkit.DatisPostgres.FixtureException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Runs the PostgreSQL programs, as an unprivileged OS user when the JVM runs as root.
 *
 * <p>PostgreSQL refuses to run as root, and CI machines and containers often run everything as
 * root. In that case every command is wrapped in {@code runuser -u nobody --} (or {@code su -s
 * /bin/sh nobody -c ...} where {@code runuser} is missing). A normal user runs the programs
 * directly.
 */
final class ProcessRunner {

  /**
   * The OS user that runs PostgreSQL when the JVM is root. It exists on every mainstream distro.
   */
  static final String UNPRIVILEGED_USER = "nobody";

  private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./=:,+@%-]+");

  private static final List<String> SBIN_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

  private final List<String> prefix;
  private final boolean viaShell;
  private final @Nullable String runAs;

  private ProcessRunner(List<String> prefix, boolean viaShell, @Nullable String runAs) {
    this.prefix = List.copyOf(prefix);
    this.viaShell = viaShell;
    this.runAs = runAs;
  }

  /**
   * A runner for this JVM: direct for a normal user, through {@code runuser} or {@code su} for
   * root.
   */
  static ProcessRunner forThisJvm() {
    if (!isRoot()) {
      return new ProcessRunner(List.of(), false, null);
    }
    Path runuser = findExecutable("runuser");
    if (runuser != null) {
      return new ProcessRunner(
          List.of(runuser.toString(), "-u", UNPRIVILEGED_USER, "--"), false, UNPRIVILEGED_USER);
    }
    Path su = findExecutable("su");
    if (su != null) {
      return new ProcessRunner(
          List.of(su.toString(), "-s", "/bin/sh", UNPRIVILEGED_USER, "-c"),
          true,
          UNPRIVILEGED_USER);
    }
    throw new FixtureException(
        "This JVM runs as root and PostgreSQL refuses to run as root, but neither 'runuser' nor"
            + " 'su' was found to run it as the user '"
            + UNPRIVILEGED_USER
            + "'. Install util-linux (runuser), or run the tests as a non-root user.",
        null);
  }

  /** The OS user that PostgreSQL runs as, or {@code null} when it runs as the JVM's own user. */
  @Nullable String runAs() {
    return runAs;
  }

  /**
   * Runs a command in {@code workDir}, waiting at most {@code timeout}. Standard output and error
   * go to a temporary file rather than a pipe, so a daemon that inherits them can never block us.
   */
  Result run(List<String> command, Path workDir, Duration timeout) throws IOException {
    List<String> full = new ArrayList<>(prefix);
    if (viaShell) {
      full.add("exec " + shellJoin(command));
    } else {
      full.addAll(command);
    }
    Path output = Files.createTempFile("datis-postgres-", ".out");
    try {
      ProcessBuilder builder =
          new ProcessBuilder(full)
              .directory(workDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile());
      cleanEnvironment(builder.environment());
      Process process = builder.start();
      process.getOutputStream().close();
      boolean exited;
      try {
        exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        throw new IOException("Interrupted while running " + command.get(0), e);
      }
      String text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8).strip();
      if (!exited) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        return new Result(-1, text + "\n(timed out after " + timeout.toSeconds() + " s)");
      }
      return new Result(process.exitValue(), text);
    } finally {
      Files.deleteIfExists(output);
    }
  }

  /**
   * Quotes one word for {@code /bin/sh}: {@code pg_ctl -o} hands its options to the shell, so every
   * {@code -c name=value} must be quoted.
   */
  static String shellQuote(String word) {
    if (SHELL_SAFE.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }

  static String shellJoin(List<String> words) {
    StringBuilder joined = new StringBuilder();
    for (String word : words) {
      if (joined.length() > 0) {
        joined.append(' ');
      }
      joined.append(shellQuote(word));
    }
    return joined.toString();
  }

  /**
   * Removes libpq variables such as PGDATA or PGPORT, and pins the C locale for predictable output.
   */
  private static void cleanEnvironment(Map<String, String> environment) {
    environment.keySet().removeIf(name -> name.startsWith("PG"));
    environment.put("LC_ALL", "C");
    environment.remove("LANG");
    environment.remove("LANGUAGE");
  }

  /** Whether this JVM runs as uid 0, asked from {@code id -u}; falls back to the user name. */
  static boolean isRoot() {
    if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
      return false;
    }
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      id.getOutputStream().close();
      String uid =
          new String(id.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
      if (id.waitFor(10, TimeUnit.SECONDS) && id.exitValue() == 0 && uid.matches("\\d+")) {
        return uid.equals("0");
      }
    } catch (IOException e) {
      // no 'id' program: fall through to the user name
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return "root".equals(System.getProperty("user.name"));
  }

  private static @Nullable Path findExecutable(String name) {
    List<String> dirs = new ArrayList<>(SBIN_DIRS);
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    for (String dir : dirs) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** The exit code ({@code -1} on timeout) and the combined output of a command. */
  record Result(int exitCode, String output) {

    boolean succeeded() {
      return exitCode == 0;
    }
  }
}
