package io.datis.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 1b: {@code pg_recvlogical}, PostgreSQL's own client, reading the slot with {@code
 * pgoutput} up to the WAL position after the load, writing to a pipe this JVM drains. Its events
 * are the loaded rows; its drain runs from its first to its last output byte. Its peak RSS and CPU
 * time are polled from {@code /proc} while it writes, every 10 ms (one clock tick of its CPU time).
 */
final class RecvLogical {

  private RecvLogical() {}

  /**
   * The binary: {@code -Ddatis.bench.pg_recvlogical}, else next to the embedded server's binaries,
   * else in {@code pg_config --bindir}, else on the {@code PATH}.
   */
  static Optional<Path> find() {
    List<Path> candidates = new ArrayList<>();
    String configured = System.getProperty("datis.bench.pg_recvlogical");
    if (configured != null) {
      candidates.add(Path.of(configured));
    }
    Path extracted =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "datis-postgres-" + System.getProperty("user.name"));
    if (Files.isDirectory(extracted)) {
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(extracted, "pg-*")) {
        for (Path dir : dirs) {
          candidates.add(dir.resolve("bin").resolve("pg_recvlogical"));
        }
      } catch (IOException e) {
        // not there
      }
    }
    pgConfigBindir().ifPresent(bin -> candidates.add(bin.resolve("pg_recvlogical")));
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(":")) {
        if (!dir.isEmpty()) {
          candidates.add(Path.of(dir, "pg_recvlogical"));
        }
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  private static Optional<Path> pgConfigBindir() {
    try {
      Process process =
          new ProcessBuilder("pg_config", "--bindir")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String out =
          new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 && !out.isEmpty()) {
        return Optional.of(Path.of(out));
      }
    } catch (IOException e) {
      // no pg_config
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Optional.empty();
  }

  static Measurement drain(
      Path binary,
      BenchDatabase database,
      String slot,
      String endLsn,
      long rows,
      int run,
      long timeoutSeconds)
      throws Exception {
    var pg = database.postgres();
    List<String> command =
        List.of(
            binary.toString(),
            "-d",
            "host="
                + pg.host()
                + " port="
                + pg.port()
                + " dbname="
                + pg.database()
                + " user="
                + pg.user(),
            "-S",
            slot,
            "--start",
            "--no-loop",
            "-o",
            "proto_version=1",
            "-o",
            "publication_names=" + BenchDatabase.DRAIN_PUBLICATION,
            "-E",
            endLsn,
            "-F",
            "0",
            "-f",
            "-");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put("PGPASSWORD", pg.password());
    long started = System.nanoTime();
    Process process = builder.start();
    long first = 0;
    long last = 0;
    long bytes = 0;
    double peakRss = -1;
    long firstCpu = -1;
    long lastCpu = -1;
    long nextPoll = 0;
    byte[] buffer = new byte[1 << 16];
    long deadline = started + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    try (InputStream out = process.getInputStream()) {
      int read;
      while ((read = out.read(buffer)) >= 0) {
        long now = System.nanoTime();
        if (read > 0) {
          if (first == 0) {
            first = now;
            firstCpu = CpuTime.processNanos(process.toHandle());
          }
          last = now;
          bytes += read;
        }
        if (now >= nextPoll) {
          peakRss = Math.max(peakRss, MemoryMonitor.peakRssMb(process.pid()));
          // Once it has exited and been reaped, /proc no longer knows it: keep the last reading.
          lastCpu = Math.max(lastCpu, CpuTime.processNanos(process.toHandle()));
          nextPoll = now + TimeUnit.MILLISECONDS.toNanos(10);
        }
        if (now > deadline) {
          process.destroyForcibly();
          throw new IllegalStateException(
              "pg_recvlogical did not finish in " + timeoutSeconds + " s");
        }
      }
    }
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    if (process.exitValue() != 0 || bytes == 0) {
      throw new IllegalStateException(
          "pg_recvlogical exited with " + process.exitValue() + " after " + bytes + " bytes");
    }
    double seconds = (last - first) / 1e9;
    Scenario scenario = Scenario.CEILING_RECVLOGICAL;
    return new Measurement(
        scenario.label(),
        scenario.title(),
        run,
        rows,
        (first - started) / 1e6,
        seconds,
        rows / seconds,
        -1,
        peakRss,
        CpuTime.microsPerEvent(firstCpu, lastCpu, rows),
        -1,
        String.format("%,d bytes of pgoutput from %s", bytes, binary));
  }
}
