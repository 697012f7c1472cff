package io.datis.pubsub.faults;

import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.postgres.PostgresSource;
import io.datis.pubsub.PubSubSink;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One replica of a service that runs several pipelines, in a JVM of its own for {@link
 * ScaleOutTest}: pipeline {@code i} is named {@code <name>-<i>}, captures {@code <table>_<i>} and
 * publishes to {@code <topic>-<i>}, with offsets in PostgreSQL. Arguments as for {@link
 * CaptureProcess} ({@code key=value}), plus {@code pipelines} (how many).
 *
 * <p>It prints {@code @@ ROLE <pipeline> ACTIVE|STANDBY at=<epoch ms>} at each role change and at
 * start, {@code @@ STARTED} once every pipeline started, and stops cleanly when its stdin closes or
 * says {@code stop}.
 */
final class ReplicaSetProcess {

  private ReplicaSetProcess() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = CaptureProcess.options(args);
    PostgresSource source = CaptureProcess.source(options);
    int count = Integer.parseInt(options.get("pipelines"));
    List<Pipeline> pipelines = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = options.get("name") + "-" + i;
      AtomicBoolean told = new AtomicBoolean();
      Pipeline pipeline =
          Datis.capture(source)
              .name(name)
              .tables(options.get("table") + "_" + i)
              .snapshot(SnapshotMode.CHANGES_ONLY)
              .offsets(OffsetStore.postgres())
              .to(
                  PubSubSink.builder(options.get("project"), options.get("topic") + "-" + i)
                      .emulator(options.get("pubsub"))
                      .build())
              .onRoleChange(
                  role -> {
                    synchronized (told) {
                      told.set(true);
                      say("ROLE " + name + " " + role + " at=" + now());
                    }
                  })
              .start();
      synchronized (told) { // the role it started with, unless a change was told already
        if (!told.get()) {
          say("ROLE " + name + " " + pipeline.health().role() + " at=" + now());
        }
      }
      pipelines.add(pipeline);
    }
    say("STARTED pid=" + ProcessHandle.current().pid());
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && !line.strip().equals("stop")) {
        // only "stop" means something
      }
    }
    pipelines.forEach(Pipeline::close);
    say("STOPPED");
    System.exit(0);
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  private static synchronized void say(String line) {
    System.out.println(CaptureProcess.PROTOCOL + line);
    System.out.flush();
  }
}
