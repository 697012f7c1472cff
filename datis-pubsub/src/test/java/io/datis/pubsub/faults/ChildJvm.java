package io.datis.pubsub.faults;

import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A {@link CaptureProcess} in a JVM of its own, started with this JVM's {@code java} and the test
 * class path. Its stdout and stderr go to a log file (kept under {@code target/fault-matrix/} for a
 * look after a failure) and the protocol lines ({@code @@ ...}) are kept for {@link #awaitLine}. A
 * JVM shutdown hook kills it if the test JVM exits first; it also stops by itself when its stdin
 * closes.
 */
final class ChildJvm implements AutoCloseable {

  private static final Path LOG_DIR =
      Path.of(System.getProperty("user.dir"), "target", "fault-matrix");

  private final String name;
  private final Process process;
  private final Path log;
  private final List<String> protocol = new ArrayList<>();
  private final List<String> tail = new ArrayList<>();
  private final Thread reader;
  private final Thread killer;
  private final long startNanos = System.nanoTime();

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.reader = new Thread(this::pump, "child-jvm-" + name);
    this.reader.setDaemon(true);
    this.reader.start();
    this.killer = new Thread(process::destroyForcibly);
    Runtime.getRuntime().addShutdownHook(killer);
  }

  /**
   * Starts {@link CaptureProcess} with these JVM options, capturing from {@code pg} and publishing
   * to {@code pubsub}, with further {@code key=value} arguments.
   */
  static ChildJvm launch(
      String name,
      List<String> jvmOptions,
      DatisPostgres pg,
      LocalPubSub pubsub,
      String... arguments) {
    return launch(name, CaptureProcess.class, jvmOptions, pg, pubsub, arguments);
  }

  /** Starts another main class of the fault matrix, with the same arguments as above. */
  static ChildJvm launch(
      String name,
      Class<?> mainClass,
      List<String> jvmOptions,
      DatisPostgres pg,
      LocalPubSub pubsub,
      String... arguments) {
    List<String> all = new ArrayList<>();
    all.add("pg.host=" + pg.host());
    all.add("pg.port=" + pg.port());
    all.add("pg.database=" + pg.database());
    all.add("pg.user=" + pg.user());
    all.add("pg.password=" + pg.password());
    all.add("pubsub=" + pubsub.hostPort());
    all.addAll(List.of(arguments));
    return launch(name, mainClass, jvmOptions, all);
  }

  /** Starts a main class with these JVM options and {@code key=value} arguments. */
  private static ChildJvm launch(
      String name, Class<?> mainClass, List<String> jvmOptions, List<String> arguments) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(arguments);
    try {
      Files.createDirectories(LOG_DIR);
      Path log = LOG_DIR.resolve(name + ".log");
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      return new ChildJvm(name, process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + command.get(0), e);
    }
  }

  private void pump() {
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter out =
            new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.println(line);
        synchronized (this) {
          if (line.startsWith(CaptureProcess.PROTOCOL)) {
            protocol.add(line.substring(CaptureProcess.PROTOCOL.length()));
          }
          tail.add(line);
          if (tail.size() > 40) {
            tail.remove(0);
          }
          notifyAll();
        }
      }
    } catch (IOException e) {
      // the process went away
    }
    synchronized (this) {
      notifyAll();
    }
  }

  /**
   * Waits for a protocol line starting with {@code prefix} and returns it (without {@code @@ }).
   * Fails with the end of the child's log if the child exits or the time runs out first.
   */
  String awaitLine(String prefix, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (true) {
        for (String line : protocol) {
          if (line.startsWith(prefix)) {
            return line;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || (!process.isAlive() && !reader.isAlive())) {
          throw new AssertionError(
              "Child JVM '"
                  + name
                  + "' "
                  + (process.isAlive()
                      ? "did not print '" + prefix + "' within " + timeout
                      : "exited with code "
                          + process.exitValue()
                          + " before printing '"
                          + prefix
                          + "'")
                  + "; end of its log ("
                  + log
                  + "):\n"
                  + String.join("\n", tail));
        }
        wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(left, 200_000_000L))));
      }
    }
  }

  /** The protocol line starting with {@code prefix}, if printed already. */
  synchronized @Nullable String line(String prefix) {
    return protocol.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
  }

  /** Every protocol line starting with {@code prefix} printed so far, in order. */
  synchronized List<String> lines(String prefix) {
    return protocol.stream().filter(l -> l.startsWith(prefix)).toList();
  }

  /** Whether the process runs. */
  boolean isAlive() {
    return process.isAlive();
  }

  /** How long ago it was launched. */
  Duration age() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** SIGKILL (on Linux), and waits for the process to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("Child JVM '" + name + "' did not die within 30 s of SIGKILL");
    }
    reader.join(5_000);
  }

  /**
   * Freezes the process (SIGSTOP): it neither runs nor exits, and the kernel keeps its connections
   * open, as for a long pause or a machine cut off with its sockets intact.
   */
  void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** Lets a {@link #pause() paused} process run again (SIGCONT). */
  void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String signal) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
            .redirectErrorStream(true)
            .start();
    if (kill.waitFor() != 0) {
      throw new AssertionError(
          "kill -"
              + signal
              + " "
              + process.pid()
              + " failed: "
              + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /**
   * Asks the child to close its pipeline cleanly and waits for it to exit; returns its exit code.
   */
  int stop(Duration timeout) throws InterruptedException {
    try {
      OutputStream stdin = process.getOutputStream();
      stdin.write("stop\n".getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      // exited already
    }
    return waitFor(timeout);
  }

  /** Waits for the child to exit; returns its exit code, or fails with the end of its log. */
  int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          "Child JVM '"
              + name
              + "' did not exit within "
              + timeout
              + "; end of its log ("
              + log
              + "):\n"
              + logTail());
    }
    reader.join(5_000);
    return process.exitValue();
  }

  /** The last lines of the child's output. */
  synchronized String logTail() {
    return String.join("\n", tail);
  }

  /** The child's log file. */
  Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill(); // SIGKILL ends a paused process too
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killer);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs anyway
    }
  }
}
