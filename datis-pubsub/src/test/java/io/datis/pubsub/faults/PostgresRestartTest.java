package io.datis.pubsub.faults;

import static org.awaitility.Awaitility.await;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.Datis;
import io.datis.Health;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.event.Position;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault 2: PostgreSQL goes away in the middle of the stream, by a fast shutdown and restart, or by
 * an immediate shutdown (as after a crash: no checkpoint, crash recovery at the next start) and a
 * start a little later, while a writer keeps trying to write. The pipeline, whose offsets are in
 * that same database, must reconnect by itself and resume, say it is not UP meanwhile and UP
 * afterwards, and lose nothing.
 */
class PostgresRestartTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final int KEYS = 200;
  private static final long CHANGES = 15_000;

  /** How long health may take to notice that PostgreSQL is away: the slot is checked every 5 s. */
  private static final Duration NOTICE = Duration.ofSeconds(6);

  /**
   * Publishing the first change captured again takes a moment after the engine reads the slot
   * again, which is when health may say UP.
   */
  private static final Duration RESUME_SLACK = Duration.ofSeconds(3);

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aFastRestartOfPostgresMidStreamIsRiddenOutWithoutLossAndShownInHealth() throws Exception {
    survives("pg-fast", pg::restart);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void anImmediateShutdownOfPostgresMidStreamIsRiddenOutWithoutLossAndShownInHealth()
      throws Exception {
    survives(
        "pg-immediate",
        () -> {
          try {
            PostgresCrash.immediateShutdown(pg);
            Thread.sleep(2_000); // down for a moment, as a crashed server is
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          pg.start();
        });
  }

  private static void survives(String name, Runnable outage) throws Exception {
    long seed = Long.getLong("datis.faults.seed", System.nanoTime());
    System.out.println(name + " seed: " + seed);
    String topic = name;
    pubsub.createTopic(PROJECT, topic);
    Workload workload = Workload.create(pg, name.replace('-', '_') + "_rows", KEYS, 200);
    long startNanos = System.nanoTime();
    SoftAssertions softly = new SoftAssertions();
    try (Pipeline pipeline =
            Datis.capture(pg.source())
                .name(name)
                .tables(workload.table())
                .snapshot(SnapshotMode.CHANGES_ONLY)
                .offsets(OffsetStore.postgres())
                .to(PubSubSink.builder(PROJECT, topic).emulator(pubsub.hostPort()).build())
                .start();
        HealthLog health = HealthLog.start(pipeline);
        Workload.Writer writer = workload.writer(seed, 20, 1_500)) {
      workload.insertKeys();
      writer.start(CHANGES - KEYS);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> pubsub.publishedMessages(PROJECT, topic).size() >= 3_000);

      long downNanos = System.nanoTime();
      outage.run();
      long upNanos = System.nanoTime();
      long walAtRestart =
          pg.query("SELECT pg_current_wal_lsn() - '0/0'", row -> row.getLong(1)).get(0);
      long resumedNanos = awaitPublishedAfter(topic, walAtRestart, Duration.ofSeconds(90));
      softly
          .assertThat(resumedNanos)
          .as("a change committed after the restart was published within 90 s")
          .isPositive();
      if (resumedNanos < 0) {
        resumedNanos = System.nanoTime();
      }

      writer.awaitDone(Duration.ofSeconds(90));
      Map<Integer, Integer> committed = workload.committedVersions();
      long expected = Workload.changes(committed);
      try {
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () ->
                    Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, topic)) >= expected
                        || !pipeline.isRunning());
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> pipeline.health().status() != Health.Status.DEGRADED);
      } catch (ConditionTimeoutException e) {
        // the checks below say what is wrong
      }
      Deliveries deliveries = Deliveries.of(pubsub.publishedMessages(PROJECT, topic));
      List<HealthLog.Sample> whileAway = health.between(downNanos, resumedNanos);
      System.out.printf(
          "%s: stopping and starting PostgreSQL took %d ms, the first change committed after the restart published %d ms after it was up;"
              + " writer: %d changes committed, %d failed transactions; %d committed changes, %s; %d s;%n"
              + "  health (ms from the shutdown): %s%n",
          name,
          (upNanos - downNanos) / 1_000_000,
          (resumedNanos - upNanos) / 1_000_000,
          writer.committed(),
          writer.failures(),
          expected,
          deliveries.summary(),
          (System.nanoTime() - startNanos) / 1_000_000_000,
          health.transitions(downNanos));

      softly.assertThat(pipeline.failure()).as("the pipeline's failure").isEmpty();
      softly.assertThat(deliveries.problems(committed)).as("delivery problems").isEmpty();
      softly.assertThat(deliveries.distinct()).as("distinct changes published").isEqualTo(expected);
      softly
          .assertThat(
              whileAway.stream().filter(sample -> sample.status() != Health.Status.UP).count())
          .as(
              "health samples not UP from the shutdown until a change committed after the restart was published"
                  + " (%d ms later); health (ms from the shutdown): %s",
              (resumedNanos - downNanos) / 1_000_000, health.transitions(downNanos))
          .isPositive();
      long upBeforeResuming =
          health
              .between(downNanos + NOTICE.toNanos(), resumedNanos - RESUME_SLACK.toNanos())
              .stream()
              .filter(sample -> sample.status() == Health.Status.UP)
              .count();
      softly
          .assertThat(upBeforeResuming)
          .as(
              "health samples UP while the pipeline had not captured again yet: from %d ms after the shutdown (time"
                  + " to notice) to %d ms before the first change committed after the restart was published (at %d"
                  + " ms); health (ms from the shutdown): %s",
              NOTICE.toMillis(),
              RESUME_SLACK.toMillis(),
              (resumedNanos - downNanos) / 1_000_000,
              health.transitions(downNanos))
          .isZero();
      softly
          .assertThat(
              health.all().stream().filter(sample -> sample.status() == Health.Status.DOWN).count())
          .as(
              "health samples DOWN while the pipeline reconnects; health (ms from the shutdown): %s",
              health.transitions(downNanos))
          .isZero();
      softly
          .assertThat(pipeline.health().status())
          .as("health at the end: %s", pipeline.health())
          .isEqualTo(Health.Status.UP);
    }
    softly.assertAll();
  }

  /**
   * Waits until a change committed after the WAL position {@code lsn} is published, and returns
   * when (System.nanoTime()): the moment the pipeline has reconnected and captures again; -1 if
   * that did not happen in time.
   */
  private static long awaitPublishedAfter(String topic, long lsn, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int checked = 0;
    while (System.nanoTime() < deadline) {
      List<PubsubMessage> messages = pubsub.publishedMessages(PROJECT, topic);
      for (int i = checked; i < messages.size(); i++) {
        if (Position.parseLsn(messages.get(i).getAttributesMap().get("datis-lsn")) > lsn) {
          return System.nanoTime();
        }
      }
      checked = messages.size();
      Workload.sleep(50);
    }
    return -1;
  }
}
