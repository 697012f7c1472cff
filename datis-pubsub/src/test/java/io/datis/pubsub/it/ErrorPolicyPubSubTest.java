package io.datis.pubsub.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.Datis;
import io.datis.ErrorPolicy;
import io.datis.Health;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.PipelineBuilder;
import io.datis.SnapshotMode;
import io.datis.api.SinkException;
import io.datis.api.TransformException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import io.datis.pubsub.MessageTooLargeException;
import io.datis.pubsub.OrderingKeys;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.DatisMessages;
import io.datis.testkit.pubsub.LocalPubSub;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pipeline's error policies with Pub/Sub at both ends: PostgreSQL → Debezium → Datis → the real
 * Pub/Sub client over gRPC → the testkit's local Pub/Sub server, with a second {@link PubSubSink}
 * as the dead-letter sink. One PostgreSQL and one Pub/Sub server for the class; each test has its
 * own table, pipeline and topics.
 *
 * <p>The main sinks use one ordering key per table, so the order in which a topic stored its
 * messages is the order in which the pipeline delivered them.
 */
class ErrorPolicyPubSubTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-errors";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final long POISON = 13;
  private static final List<Long> ALL_BUT_POISON =
      LongStream.rangeClosed(1, 30).filter(id -> id != POISON).boxed().toList();

  /** 11,000,000 bytes of {@code 0xab}: over 10 MB in any format. */
  private static final String ELEVEN_MEGABYTES = "decode(repeat('ab', 11000000), 'hex')";

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void aTransformFailureGoesToThePubSubDeadLetterSinkAsTheCapturedEventWithTheReason() {
    String topic = topic("orders");
    String deadLetters = topic + "-dead";
    pg.execute("CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL)");
    PubSubSink deadLetterSink = sink(deadLetters).build();
    Instant before = Instant.now();
    try (Pipeline pipeline =
        pipeline("dl-transform", "public.orders", topic)
            .transform(new FailsOnPoison("fails-on-13"))
            .errorPolicy(ErrorPolicy.deadLetter(deadLetterSink))
            .start()) {
      insertThirtyRowsInThreeTransactions("orders");

      await().atMost(TIMEOUT).until(() -> pubsub.publishedMessages(PROJECT, topic).size() >= 29);
      await()
          .atMost(TIMEOUT)
          .until(() -> pubsub.publishedMessages(PROJECT, deadLetters).size() >= 1);
      assertThat(pipeline.health().status()).isEqualTo(Health.Status.UP);
    }
    Instant after = Instant.now();

    assertThat(ids(pubsub.publishedEvents(PROJECT, topic)))
        .containsExactlyElementsOf(ALL_BUT_POISON);
    PubsubMessage dead = single(pubsub.publishedMessages(PROJECT, deadLetters));
    ChangeEvent event = DatisMessages.decode(dead);
    assertThat(event.table().toString()).isEqualTo("public.orders");
    assertThat(event.after().orElseThrow())
        .as("the event as captured, in the dead-letter sink's format")
        .containsEntry("id", POISON)
        .containsEntry("item", "item-13");
    Map<String, String> attributes = dead.getAttributesMap();
    assertThat(attributes)
        .containsEntry("datis-error-stage", "TRANSFORM")
        .containsEntry("datis-error-type", TransformException.class.getName())
        .containsEntry(
            "datis-error-reason",
            "Transform #1 'fails-on-13' failed on INSERT of public.orders at "
                + event.position()
                + ": it threw java.lang.IllegalArgumentException (the cause holds its message)")
        .containsEntry("datis-table", "public.orders")
        .containsEntry("datis-lsn", event.position().lsnText())
        .containsKeys("datis-event-id", "datis-commit-time")
        .doesNotContainKeys("datis-error", "datis-original-topic");
    assertThat(Instant.parse(attributes.get("datis-failed-at"))).isBetween(before, after);
    assertThat(dead.getOrderingKey()).as("dead letters have no ordering key").isEmpty();
    assertThat(registry.get("datis.events.dead.lettered").counter().count()).isEqualTo(1.0);
    assertThat(
            deadLetterSink.deliver(
                new DeadLetter(event, DeadLetter.Stage.SINK, "late", "x", after)))
        .as("the pipeline closed its dead-letter sink")
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .withMessageContaining("PubSubSink is not open");
  }

  @Test
  void aRowOverTenMegabytesGoesToThePubSubDeadLetterSinkAsADescriptionAndNothingElseIsLost()
      throws Exception {
    String topic = topic("attachments");
    String deadLetters = topic + "-dead";
    pg.execute("CREATE TABLE public.attachments_dead (id int PRIMARY KEY, content bytea)");
    try (Pipeline pipeline =
        pipeline("dl-too-large", "public.attachments_dead", topic)
            .errorPolicy(ErrorPolicy.deadLetter(sink(deadLetters).build()))
            .start()) {
      insertSmallBigSmall("attachments_dead");

      await().atMost(TIMEOUT).until(() -> pubsub.publishedMessages(PROJECT, topic).size() >= 2);
      await()
          .atMost(TIMEOUT)
          .until(() -> pubsub.publishedMessages(PROJECT, deadLetters).size() >= 1);
      assertThat(pipeline.isRunning()).isTrue();
    }

    assertThat(ids(pubsub.publishedEvents(PROJECT, topic))).containsExactly(1L, 3L);
    PubsubMessage dead = single(pubsub.publishedMessages(PROJECT, deadLetters));
    Map<String, String> attributes = dead.getAttributesMap();
    String position =
        "lsn " + attributes.get("datis-lsn") + " tx " + attributes.get("datis-txid") + " #1";
    assertThat(attributes)
        .containsEntry("datis-error", "message-too-large")
        .containsEntry("datis-error-stage", "SINK")
        .containsEntry("datis-error-type", MessageTooLargeException.class.getName())
        .containsEntry("datis-table", "public.attachments_dead")
        .containsEntry("datis-operation", "INSERT")
        .containsKeys("datis-event-id", "datis-commit-time", "datis-failed-at")
        .doesNotContainKey("datis-original-topic");
    assertThat(attributes.get("datis-error-reason"))
        .startsWith(
            "message for public.attachments_dead (key columns [id]) at " + position + " is ")
        .contains("bytes, over Pub/Sub's 10 MB limit (10,000,000 bytes). Fix: ");
    JsonNode description = JSON.readTree(dead.getData().toByteArray());
    assertThat(description.get("error").asText())
        .startsWith(
            "message for public.attachments_dead (key columns [id]) at " + position + " is ")
        .endsWith("bytes, over Pub/Sub's 10 MB limit (10,000,000 bytes)");
    assertThat(description.get("table").asText()).isEqualTo("public.attachments_dead");
    assertThat(description.get("operation").asText()).isEqualTo("INSERT");
    assertThat(description.get("keyColumns").get(0).asText()).isEqualTo("id");
    assertThat(description.get("lsn").asText()).isEqualTo(attributes.get("datis-lsn"));
    assertThat(dead.getData().size()).as("no row values").isLessThan(2_000);
    assertThat(dead.getData().toStringUtf8()).doesNotContain("q6ur");
    assertThat(registry.get("datis.events.dead.lettered").counter().count()).isEqualTo(1.0);
  }

  @Test
  void aRowOverTenMegabytesIsSkippedAndCountedAndEveryOtherRowArrives() {
    String topic = topic("skipped");
    pg.execute("CREATE TABLE public.attachments_skip (id int PRIMARY KEY, content bytea)");
    try (Pipeline pipeline =
        pipeline("skip-too-large", "public.attachments_skip", topic)
            .errorPolicy(ErrorPolicy.skip())
            .start()) {
      insertSmallBigSmall("attachments_skip");

      await().atMost(TIMEOUT).until(() -> pubsub.publishedMessages(PROJECT, topic).size() >= 2);
      assertThat(pipeline.isRunning()).isTrue();
      assertThat(pipeline.health().status()).isEqualTo(Health.Status.UP);
    }

    assertThat(ids(pubsub.publishedEvents(PROJECT, topic))).containsExactly(1L, 3L);
    assertThat(
            registry
                .get("datis.events.skipped")
                .tag("table", "public.attachments_skip")
                .counter()
                .count())
        .isEqualTo(1.0);
  }

  @Test
  void aReasonOverPubSubsAttributeLimitIsCutBetweenCharacters() {
    String topic = topic("long-reason");
    String deadLetters = topic + "-dead";
    pg.execute("CREATE TABLE public.orders_long (id int PRIMARY KEY, item text NOT NULL)");
    String emoji = "\uD83D\uDE00"; // 4 bytes in UTF-8, a surrogate pair in Java
    try (Pipeline pipeline =
        pipeline("dl-long-reason", "public.orders_long", topic)
            .transform(new FailsOnPoison("fails-on-13 " + emoji.repeat(300)))
            .errorPolicy(ErrorPolicy.deadLetter(sink(deadLetters).build()))
            .start()) {
      pg.execute("INSERT INTO orders_long SELECT i, 'item-' || i FROM generate_series(12, 14) i");

      await()
          .atMost(TIMEOUT)
          .until(() -> pubsub.publishedMessages(PROJECT, deadLetters).size() >= 1);
    }

    String reason =
        single(pubsub.publishedMessages(PROJECT, deadLetters))
            .getAttributesMap()
            .get("datis-error-reason");
    // "Transform #1 'fails-on-13 " is 26 bytes; 248 emoji make 1,018, the next one would pass
    // 1,021.
    assertThat(reason).isEqualTo("Transform #1 'fails-on-13 " + emoji.repeat(248) + "\u2026");
    assertThat(reason.getBytes(StandardCharsets.UTF_8)).hasSize(1_021);
  }

  @Test
  void anEventTheDeadLetterSinkCannotEncodeIsDescribedWithoutItsValues() throws Exception {
    String topic = topic("not-encodable");
    String deadLetters = topic + "-dead";
    pg.execute("CREATE TABLE public.orders_tenant (id int PRIMARY KEY, item text NOT NULL)");
    PubSubSink deadLetterSink =
        sink(deadLetters)
            .attributes(
                event -> {
                  if (isPoison(event)) {
                    throw new IllegalStateException("no tenant in item-13");
                  }
                  return Map.of();
                })
            .build();
    try (Pipeline pipeline =
        pipeline("dl-not-encodable", "public.orders_tenant", topic)
            .transform(new FailsOnPoison("fails-on-13"))
            .errorPolicy(ErrorPolicy.deadLetter(deadLetterSink))
            .start()) {
      pg.execute("INSERT INTO orders_tenant SELECT i, 'item-' || i FROM generate_series(12, 14) i");

      await().atMost(TIMEOUT).until(() -> pubsub.publishedMessages(PROJECT, topic).size() >= 2);
      await()
          .atMost(TIMEOUT)
          .until(() -> pubsub.publishedMessages(PROJECT, deadLetters).size() >= 1);
      assertThat(pipeline.isRunning()).isTrue();
    }

    assertThat(ids(pubsub.publishedEvents(PROJECT, topic))).containsExactly(12L, 14L);
    PubsubMessage dead = single(pubsub.publishedMessages(PROJECT, deadLetters));
    assertThat(dead.getAttributesMap())
        .containsEntry("datis-error", "not-encodable")
        .containsEntry("datis-error-stage", "TRANSFORM")
        .containsEntry("datis-table", "public.orders_tenant");
    JsonNode description = JSON.readTree(dead.getData().toByteArray());
    assertThat(description.get("error").asText())
        .isEqualTo(
            "the event cannot be encoded in the sink's message format: java.lang.IllegalStateException");
    assertThat(dead.getData().toStringUtf8() + dead.getAttributesMap()).doesNotContain("item-13");
  }

  @Test
  void aMissingDeadLetterTopicIsAClearErrorAtStart() {
    String topic = topic("missing-dead");
    pg.execute("CREATE TABLE IF NOT EXISTS public.plain (id int PRIMARY KEY)");

    assertThatThrownBy(
            () ->
                pipeline("dl-missing", "public.plain", topic)
                    .errorPolicy(ErrorPolicy.deadLetter(sink("no-such-dead-letters").build()))
                    .start())
        .isInstanceOf(SinkException.class)
        .hasMessage(
            "Pub/Sub topic projects/datis-errors/topics/no-such-dead-letters does not exist. Fix: create the"
                + " topic (gcloud pubsub topics create no-such-dead-letters --project=datis-errors), or call"
                + " createTopicIfMissing(true) during development");
  }

  /** Creates a topic of the test's own, and its dead-letter topic (the topic's name and -dead). */
  private static String topic(String prefix) {
    String topic = prefix + "-" + NAMES.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    pubsub.createTopic(PROJECT, topic + "-dead");
    return topic;
  }

  private static PubSubSink.Builder sink(String topic) {
    return PubSubSink.builder(PROJECT, topic)
        .emulator(pubsub.hostPort())
        .closeTimeout(Duration.ofSeconds(5));
  }

  /** A pipeline of the table to the topic, with one ordering key for the whole table. */
  private PipelineBuilder pipeline(String name, String table, String topic) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(table)
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory())
        .metrics(registry)
        .to(sink(topic).orderingKeys(OrderingKeys.of(event -> event.table().toString())).build());
  }

  /** Rows 1-10, 11-20 (with the poison) and 21-30, each ten in one transaction. */
  private static void insertThirtyRowsInThreeTransactions(String table) {
    for (int first = 1; first <= 21; first += 10) {
      pg.execute(
          "INSERT INTO "
              + table
              + " SELECT i, 'item-' || i FROM generate_series("
              + first
              + ", "
              + (first + 9)
              + ") i");
    }
  }

  /** Row 1, row 2 of 11 MB, row 3, each in its own transaction. */
  private static void insertSmallBigSmall(String table) {
    pg.execute(
        "INSERT INTO " + table + " VALUES (1, 'small')",
        "INSERT INTO " + table + " VALUES (2, " + ELEVEN_MEGABYTES + ")",
        "INSERT INTO " + table + " VALUES (3, 'small')");
  }

  private static List<Long> ids(List<ChangeEvent> events) {
    return events.stream().map(event -> (Long) event.after().orElseThrow().get("id")).toList();
  }

  private static PubsubMessage single(List<PubsubMessage> messages) {
    assertThat(messages).hasSize(1);
    return messages.get(0);
  }

  private static boolean isPoison(ChangeEvent event) {
    return event.after().map(row -> ((Number) row.get("id")).longValue() == POISON).orElse(false);
  }

  /**
   * Throws on row 13, with a message that quotes its value (which must not reach any attribute).
   */
  private static final class FailsOnPoison implements Transform {
    private final String name;

    FailsOnPoison(String name) {
      this.name = name;
    }

    @Override
    public TransformResult apply(ChangeEvent event) {
      if (isPoison(event)) {
        throw new IllegalArgumentException("cannot parse item-13");
      }
      return TransformResult.keep();
    }

    @Override
    public String name() {
      return name;
    }
  }
}
