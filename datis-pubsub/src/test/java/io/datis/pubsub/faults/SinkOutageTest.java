package io.datis.pubsub.faults;

import static org.awaitility.Awaitility.await;

import io.datis.Datis;
import io.datis.Health;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fault 3: Pub/Sub answers every publish with {@code UNAVAILABLE} for 20 s while PostgreSQL keeps
 * taking writes. Capture must pause (events handed to the sink and not acknowledged stay within
 * {@code maxInFlightEvents}), the heap must stay bounded although the outage's writes would need
 * far more memory than the bound, health must say DEGRADED during the outage, and everything must
 * arrive afterwards, in order per key.
 */
class SinkOutageTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "outage";
  private static final Duration OUTAGE = Duration.ofSeconds(20);
  private static final int KEYS = 1_000;

  /** Row size: 8,000 characters, so that what the outage writes is large next to the heap bound. */
  private static final int PAYLOAD_CHARS = 8_000;

  private static final int MAX_IN_FLIGHT = 500;
  private static final int MAX_BATCH = 250;
  private static final double CHANGES_PER_SECOND = 1_000;

  /**
   * The byte budget of the events in flight, which bounds Debezium's own queue of records read and
   * not yet polled as well (by its size estimate, about the row's text). Large enough that {@code
   * maxInFlightEvents}, the bound under test, decides what is in flight; small enough that
   * Debezium's queue holds far fewer records than its default count (8,192): at most this many.
   */
  private static final long IN_FLIGHT_BYTES = 6L << 20;

  private static final long DEBEZIUM_QUEUE = IN_FLIGHT_BYTES / PAYLOAD_CHARS;

  /**
   * Generous for one captured change in memory: the row as a Debezium struct, the event, its JSON
   * message.
   */
  private static final long BYTES_PER_HELD_CHANGE = 3L * PAYLOAD_CHARS + 4_096;

  /**
   * How much the live heap may grow during the outage: all that the pipeline may hold (Debezium's
   * queue, the events in flight, one batch waiting for room: 1,536 changes), at a generous 28 KB
   * each, plus 32 MB for buffers (the replication connection's, gRPC's) and the test's own
   * bookkeeping: 76 MB. The outage's writes hold 160 MB of row text: buffering them would break the
   * bound.
   */
  private static final long HEAP_GROWTH_BOUND =
      (DEBEZIUM_QUEUE + MAX_IN_FLIGHT + MAX_BATCH) * BYTES_PER_HELD_CHANGE + (32L << 20);

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aTwentySecondPubSubOutagePausesCaptureWithBoundedMemoryAndLosesNothing() throws Exception {
    long seed = Long.getLong("datis.faults.seed", System.nanoTime());
    System.out.println("SinkOutageTest seed: " + seed);
    long startNanos = System.nanoTime();
    pubsub.createTopic(PROJECT, TOPIC);
    Workload workload = Workload.create(pg, "outage_rows", KEYS, PAYLOAD_CHARS);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    SoftAssertions softly = new SoftAssertions();
    try (Pipeline pipeline =
            Datis.capture(pg.source())
                .name("sink-outage")
                .tables(workload.table())
                .snapshot(SnapshotMode.CHANGES_ONLY)
                .offsets(OffsetStore.inMemory())
                .maxInFlightEvents(MAX_IN_FLIGHT)
                .maxBatchSize(MAX_BATCH)
                .metrics(metrics)
                .maxInFlightBytes(IN_FLIGHT_BYTES)
                .to(
                    PubSubSink.builder(PROJECT, TOPIC)
                        .emulator(pubsub.hostPort())
                        // the outage ends within a second of the sink's next retry, not up to 30 s
                        .retryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                        .build())
                .start();
        HealthLog health = HealthLog.start(pipeline);
        Workload.Writer writer = workload.writer(seed, 50, CHANGES_PER_SECOND)) {
      workload.insertKeys();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> pubsub.publishedMessages(PROJECT, TOPIC).size() >= KEYS);
      long heapBefore = liveHeap();
      double capturedBefore = captured(metrics);

      pubsub.failPublishesFor(OUTAGE, Status.Code.UNAVAILABLE);
      long outageStart = System.nanoTime();
      long outageEnd = outageStart + OUTAGE.toNanos();
      writer.start((long) (CHANGES_PER_SECOND * OUTAGE.toSeconds()));
      AtomicLong peakInFlightSeen = new AtomicLong();
      AtomicLong capturedSeen = new AtomicLong();
      AtomicLong publishedSeen = new AtomicLong();
      Thread counters =
          new Thread(
              () -> {
                while (System.nanoTime() < outageEnd) {
                  peakInFlightSeen.accumulateAndGet((long) inFlight(metrics), Math::max);
                  capturedSeen.accumulateAndGet(
                      (long) (captured(metrics) - capturedBefore), Math::max);
                  publishedSeen.set(pubsub.publishedMessages(PROJECT, TOPIC).size() - KEYS);
                  Workload.sleep(10);
                }
              },
              "fault-outage-counters");
      counters.setDaemon(true);
      counters.start();
      List<long[]> samples =
          new ArrayList<>(); // seconds into the outage, live heap, in flight, captured
      while (System.nanoTime() < outageEnd - 2_500_000_000L) {
        Thread.sleep(2_000);
        samples.add(
            new long[] {
              (System.nanoTime() - outageStart) / 1_000_000_000,
              liveHeap(),
              (long) inFlight(metrics),
              (long) (captured(metrics) - capturedBefore)
            });
      }
      counters.join();
      long writtenDuringOutage = writer.committed();

      writer.awaitDone(Duration.ofSeconds(60));
      Map<Integer, Integer> committed = workload.committedVersions();
      long expected = Workload.changes(committed);
      long recoveredNanos = -1;
      try {
        await()
            .atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () ->
                    Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, TOPIC)) >= expected
                        || !pipeline.isRunning());
        recoveredNanos = System.nanoTime();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> pipeline.health().status() == Health.Status.UP);
      } catch (ConditionTimeoutException e) {
        // the checks below say what is wrong
      }
      Deliveries deliveries = Deliveries.of(pubsub.publishedMessages(PROJECT, TOPIC));
      long peakGrowth = samples.stream().mapToLong(s -> s[1] - heapBefore).max().orElse(0);
      long peakInFlight = peakInFlightSeen.get();
      long capturedInOutage = capturedSeen.get();
      System.out.printf(
          "SinkOutageTest: %d s outage; %d changes (%d MB of row text) written during it, %d captured, at most %d in flight;"
              + " live heap before %d MB, at most +%d MB during it (bound +%d MB); %d published during it;"
              + " everything arrived %d ms after it; %d committed changes, %s; %d s%n"
              + "  samples [s, live heap MB, in flight, captured]: %s%n"
              + "  health (ms from the outage's start): %s%n",
          OUTAGE.toSeconds(),
          writtenDuringOutage,
          writtenDuringOutage * PAYLOAD_CHARS >> 20,
          capturedInOutage,
          peakInFlight,
          heapBefore >> 20,
          peakGrowth >> 20,
          HEAP_GROWTH_BOUND >> 20,
          publishedSeen.get(),
          recoveredNanos < 0 ? -1 : (recoveredNanos - outageEnd) / 1_000_000,
          expected,
          deliveries.summary(),
          (System.nanoTime() - startNanos) / 1_000_000_000,
          samples.stream()
              .map(s -> "[" + s[0] + ", " + (s[1] >> 20) + ", " + s[2] + ", " + s[3] + "]")
              .toList(),
          health.transitions(outageStart));

      softly.assertThat(pipeline.failure()).as("the pipeline's failure").isEmpty();
      softly.assertThat(deliveries.problems(committed)).as("delivery problems").isEmpty();
      softly.assertThat(deliveries.distinct()).as("distinct changes published").isEqualTo(expected);
      softly
          .assertThat(pubsub.failedPublishRequests())
          .as("publish requests failed by the outage")
          .isPositive();
      softly
          .assertThat(writtenDuringOutage * PAYLOAD_CHARS)
          .as(
              "row text written during the outage, which buffering without bound would hold, exceeds the heap bound")
          .isGreaterThan(HEAP_GROWTH_BOUND * 3 / 2);
      softly
          .assertThat(peakInFlight)
          .as("events in flight during the outage")
          .isLessThanOrEqualTo(MAX_IN_FLIGHT);
      softly
          .assertThat(capturedInOutage)
          .as(
              "changes captured during the outage, of %d written: capture pauses at maxInFlightEvents plus the batch waiting for room",
              writtenDuringOutage)
          .isLessThanOrEqualTo(MAX_IN_FLIGHT + MAX_BATCH);
      softly
          .assertThat(peakGrowth)
          .as("growth of the live heap during the outage, in bytes")
          .isLessThan(HEAP_GROWTH_BOUND);
      softly
          .assertThat(
              health.between(outageStart, outageEnd).stream()
                  .filter(sample -> sample.status() == Health.Status.DEGRADED)
                  .count())
          .as(
              "health samples DEGRADED during the %d s outage; health (ms from its start): %s",
              OUTAGE.toSeconds(), health.transitions(outageStart))
          .isPositive();
      softly
          .assertThat(
              health.all().stream().filter(sample -> sample.status() == Health.Status.DOWN).count())
          .as(
              "health samples DOWN; health (ms from the outage's start): %s",
              health.transitions(outageStart))
          .isZero();
      softly
          .assertThat(pipeline.health().status())
          .as("health at the end: %s", pipeline.health())
          .isEqualTo(Health.Status.UP);
    }
    softly.assertAll();
  }

  /** The heap in use right after a full collection: what is really held. */
  private static long liveHeap() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static double captured(SimpleMeterRegistry metrics) {
    return metrics.find("datis.events.captured").counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  private static double inFlight(SimpleMeterRegistry metrics) {
    return metrics.get("datis.events.in.flight").gauge().value();
  }
}
