package io.datis.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scenario JVM: the same class path as this one, {@link ScenarioRunner} as main class, its own
 * heap; stderr is passed through, stdout carries the ready line and the result.
 */
final class ChildProcess implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private final CompletableFuture<String> result = new CompletableFuture<>();

  private ChildProcess(Process process) {
    this.process = process;
    Thread reader = new Thread(this::readStdout, "bench-child-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static ChildProcess start(ChildSpec spec, BenchOptions options, String password, Path results)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + options.xmx);
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-Dorg.slf4j.simpleLogger.logFile=System.err");
    if (options.jfr) {
      Files.createDirectories(results);
      Path recording =
          results.resolve(
              "scenario-"
                  + spec.get("scenario")
                  + "-"
                  + spec.get("mode")
                  + "-run"
                  + runOf(spec)
                  + ".jfr");
      // Deep stacks: Debezium's and gRPC's call chains pass the default 64 frames, cutting off
      // the code that called them.
      command.add("-XX:FlightRecorderOptions=stackdepth=256");
      command.add("-XX:StartFlightRecording=settings=profile,filename=" + recording);
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ScenarioRunner.class.getName());
    command.addAll(spec.toArguments());
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put(ChildSpec.PASSWORD_VARIABLE, password);
    return new ChildProcess(builder.start());
  }

  private static String runOf(ChildSpec spec) {
    try {
      return spec.get("run");
    } catch (IllegalArgumentException e) {
      return "0";
    }
  }

  private void readStdout() {
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.equals(ScenarioRunner.READY_LINE)) {
          ready.complete(null);
        } else if (line.startsWith(ScenarioRunner.RESULT_PREFIX)) {
          result.complete(line.substring(ScenarioRunner.RESULT_PREFIX.length()));
        } else {
          System.err.println(line);
        }
      }
    } catch (IOException e) {
      result.completeExceptionally(e);
    }
    IllegalStateException ended =
        new IllegalStateException("the scenario JVM ended without a result (see its output above)");
    ready.completeExceptionally(ended);
    result.completeExceptionally(ended);
  }

  /** Waits for the ready line of a latency scenario. */
  void awaitReady(long timeoutSeconds) throws Exception {
    ready.get(timeoutSeconds, TimeUnit.SECONDS);
  }

  /** Sends a line to the scenario's stdin. */
  void send(String line) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** Waits for the result line and parses it. */
  <T> T result(Class<T> type, long timeoutSeconds) throws Exception {
    String json = result.get(timeoutSeconds, TimeUnit.SECONDS);
    process.waitFor(60, TimeUnit.SECONDS);
    return JSON.readValue(json, type);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
