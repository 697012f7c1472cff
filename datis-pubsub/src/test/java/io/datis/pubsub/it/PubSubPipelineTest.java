package io.datis.pubsub.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.Datis;
import io.datis.Health;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.SinkException;
import io.datis.api.event.Position;
import io.datis.pubsub.MessageFormat;
import io.datis.pubsub.MessageTooLargeException;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL → Debezium → Datis → the real Pub/Sub client over gRPC → the testkit's local Pub/Sub
 * server → a real Subscriber with message ordering.
 */
class PubSubPipelineTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-test";
  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger NAMES = new AtomicInteger();

  @TempDir Path offsetsDir;

  private static PubSubSink.Builder sink(String topic) {
    return PubSubSink.builder(PROJECT, topic).emulator(pubsub.hostPort());
  }

  private static Pipeline start(String name, PubSubSink sink, String... tables) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(tables)
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory())
        .to(sink)
        .start();
  }

  @Test
  void deliversTwentyThousandChangesOverThreeTablesWithPerKeyOrder() throws Exception {
    String topic = "hot-" + NAMES.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    List<String> tables = HotKeys.createTables(pg, "hot");
    try (Subscription subscription = Subscription.ordered(pubsub, PROJECT, topic, topic + "-sub");
        Pipeline pipeline = start("hot-keys", sink(topic).build(), tables.toArray(String[]::new))) {
      HotKeys.write(pg, tables, 39);

      List<PubsubMessage> received =
          subscription.await(m -> HotKeys.distinctEvents(m) >= 20_000, TIMEOUT);

      assertThat(HotKeys.distinctEvents(received)).isEqualTo(20_000);
      HotKeys.assertPerKeyOrder(received);
      HotKeys.assertEveryVersionArrived(received, 39);
      assertThat(pipeline.isRunning()).isTrue();
    }
  }

  @Test
  void messagesCarryTheDocumentedAttributesAndDatisEnvelope() throws Exception {
    String topic = "envelope-" + NAMES.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    pg.execute(
        "CREATE TABLE public.parcels (id int PRIMARY KEY, weight numeric(40,20), label bytea)");
    try (Subscription subscription = Subscription.ordered(pubsub, PROJECT, topic, topic + "-sub");
        Pipeline pipeline =
            start(
                "envelope", sink(topic).attribute("team", "logistics").build(), "public.parcels")) {
      pg.execute(
          "INSERT INTO parcels VALUES (7, 12345678901234567890.12345678901234567890, '\\x00ff')");

      PubsubMessage message = subscription.await(m -> !m.isEmpty(), TIMEOUT).get(0);

      Map<String, String> attributes = message.getAttributesMap();
      assertThat(attributes)
          .containsEntry("datis-table", "public.parcels")
          .containsEntry("datis-operation", "INSERT")
          .containsEntry("datis-sequence", "1")
          .containsEntry("team", "logistics")
          .containsKeys("datis-lsn", "datis-txid", "datis-commit-time", "datis-event-id");
      assertThat(message.getOrderingKey()).isEqualTo("public.parcels:[7]");
      JsonNode envelope = JSON.readTree(message.getData().toByteArray());
      assertThat(envelope.get("op").asText()).isEqualTo("INSERT");
      assertThat(envelope.get("table").get("name").asText()).isEqualTo("parcels");
      assertThat(envelope.get("after").get("weight").asText())
          .isEqualTo("12345678901234567890.12345678901234567890");
      assertThat(envelope.get("after").get("label").asText()).isEqualTo("AP8=");
      assertThat(envelope.get("position").get("lsn").asText())
          .isEqualTo(attributes.get("datis-lsn"));
      assertThat(envelope.get("eventId").asText()).isEqualTo(attributes.get("datis-event-id"));
    }
  }

  @Test
  void debeziumAndCloudEventsFormatsAreAsDocumented() throws Exception {
    pg.execute("CREATE TABLE public.formats (id int PRIMARY KEY, name text)");
    Map<String, MessageFormat> formats = new LinkedHashMap<>();
    formats.put("debezium", MessageFormat.debeziumJson());
    formats.put("ce-structured", MessageFormat.cloudEvents());
    formats.put("ce-binary", MessageFormat.cloudEventsBinary());
    for (Map.Entry<String, MessageFormat> format : formats.entrySet()) {
      String topic = "format-" + format.getKey();
      pubsub.createTopic(PROJECT, topic);
      try (Subscription subscription =
              Subscription.ordered(pubsub, PROJECT, topic, topic + "-sub");
          Pipeline pipeline =
              start(
                  "fmt-" + format.getKey(),
                  sink(topic).format(format.getValue()).build(),
                  "public.formats")) {
        pg.execute(
            "INSERT INTO formats VALUES (1, 'one')",
            "UPDATE formats SET name = 'uno'",
            "DELETE FROM formats");
        List<PubsubMessage> messages = subscription.await(m -> m.size() >= 3, TIMEOUT);
        JsonNode update = JSON.readTree(messages.get(1).getData().toByteArray());
        switch (format.getKey()) {
          case "debezium":
            assertThat(update.get("op").asText()).isEqualTo("u");
            assertThat(update.get("after").get("name").asText()).isEqualTo("uno");
            assertThat(update.get("source").get("table").asText()).isEqualTo("formats");
            assertThat(update.get("source").get("lsn").asLong())
                .isEqualTo(Position.parseLsn(messages.get(1).getAttributesMap().get("datis-lsn")));
            assertThat(update.has("ts_ms")).isTrue();
            assertThat(JSON.readTree(messages.get(2).getData().toByteArray()).get("op").asText())
                .isEqualTo("d");
            break;
          case "ce-structured":
            assertThat(update.get("specversion").asText()).isEqualTo("1.0");
            assertThat(update.get("type").asText()).isEqualTo("io.datis.change.update");
            assertThat(update.get("subject").asText()).isEqualTo("public.formats");
            assertThat(update.get("id").asText())
                .isEqualTo(messages.get(1).getAttributesMap().get("datis-event-id"));
            assertThat(update.get("data").get("after").get("name").asText()).isEqualTo("uno");
            break;
          default:
            assertThat(messages.get(1).getAttributesMap())
                .containsEntry("ce-specversion", "1.0")
                .containsEntry("ce-type", "io.datis.change.update")
                .containsEntry("ce-id", messages.get(1).getAttributesMap().get("datis-event-id"))
                .containsKeys("ce-source", "ce-time");
            assertThat(update.get("after").get("name").asText()).isEqualTo("uno");
        }
      }
    }
  }

  @Test
  void fiveSecondsOfUnavailableLoseAndReorderNothingAndThePipelineStaysUp() throws Exception {
    String topic = "outage-" + NAMES.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    List<String> tables = HotKeys.createTables(pg, "outage");
    try (Subscription subscription = Subscription.ordered(pubsub, PROJECT, topic, topic + "-sub");
        Pipeline pipeline =
            start(
                "outage",
                sink(topic)
                    .publishTimeout(Duration.ofSeconds(10))
                    .retryBackoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                    .build(),
                tables.toArray(String[]::new))) {
      HotKeys.write(pg, tables, 4);
      subscription.await(m -> HotKeys.distinctEvents(m) >= 500, TIMEOUT);
      pubsub.failPublishesFor(Duration.ofSeconds(5), Status.Code.UNAVAILABLE);
      for (int round = 5; round <= 9; round++) {
        for (String table : tables) {
          pg.execute("UPDATE " + table + " SET version = " + round);
        }
      }

      List<PubsubMessage> received =
          subscription.await(m -> HotKeys.distinctEvents(m) >= 5_000, TIMEOUT);

      assertThat(pubsub.failedPublishRequests()).isPositive();
      assertThat(HotKeys.distinctEvents(received)).isEqualTo(5_000);
      HotKeys.assertPerKeyOrder(received);
      assertThat(pipeline.isRunning()).isTrue();
    }
  }

  @Test
  void aRejectedOrderingKeyIsResumedWithoutRestartAndKeepsItsOrder() throws Exception {
    String topic = "paused-" + NAMES.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    pg.execute("CREATE TABLE public.counters (id int PRIMARY KEY, n int NOT NULL)");
    pg.execute("INSERT INTO counters SELECT g, 0 FROM generate_series(1, 20) g");
    try (Subscription subscription = Subscription.ordered(pubsub, PROJECT, topic, topic + "-sub");
        Pipeline pipeline =
            start(
                "paused",
                sink(topic)
                    .publishTimeout(Duration.ofSeconds(10))
                    .retryBackoff(Duration.ofMillis(100), Duration.ofMillis(500))
                    .build(),
                "public.counters")) {
      // The client does not retry FAILED_PRECONDITION: it fails the publish and pauses the key.
      pubsub.rejectOrderingKey("public.counters:[3]", Status.Code.FAILED_PRECONDITION);
      for (int i = 1; i <= 10; i++) {
        pg.execute("UPDATE counters SET n = " + i);
      }
      await().atMost(TIMEOUT).until(() -> pubsub.failedPublishRequests() >= 3);
      assertThat(pipeline.isRunning()).isTrue();
      await().atMost(TIMEOUT).until(() -> pipeline.health().status() == Health.Status.DEGRADED);
      assertThat(pipeline.health().reasons())
          .singleElement()
          .asString()
          .startsWith("sink retrying for ")
          .contains(
              "publishing to projects/datis-test/topics/" + topic + " failed: FAILED_PRECONDITION");
      pubsub.acceptOrderingKey("public.counters:[3]");

      List<PubsubMessage> received =
          subscription.await(m -> HotKeys.distinctEvents(m) >= 200, TIMEOUT);

      assertThat(HotKeys.distinctEvents(received)).isEqualTo(200);
      HotKeys.assertPerKeyOrder(received);
      List<Integer> keyThree = new ArrayList<>();
      for (PubsubMessage message : received) {
        if (message.getOrderingKey().equals("public.counters:[3]")) {
          keyThree.add(
              JSON.readTree(message.getData().toByteArray()).get("after").get("n").asInt());
        }
      }
      assertThat(keyThree).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
      await().atMost(TIMEOUT).until(() -> pipeline.health().status() == Health.Status.UP);
    }
  }

  @Test
  void
      stoppingWithPublishesOutstandingThenRestartingDeliversEverythingAndDuplicatesKeepTheirEventId()
          throws Exception {
    String topic = "crash-" + NAMES.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    pg.execute("CREATE TABLE public.tickets (id int PRIMARY KEY, state text)");
    Path offsets = offsetsDir.resolve("crash.offsets");
    PubSubSink slowSink = sink(topic).closeTimeout(Duration.ofMillis(200)).build();
    Pipeline first =
        Datis.capture(pg.source())
            .name("crash")
            .tables("public.tickets")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.file(offsets))
            .closeTimeout(Duration.ofMillis(500))
            .to(slowSink)
            .start();
    for (int i = 1; i <= 100; i++) {
      pg.execute("INSERT INTO tickets VALUES (" + i + ", 'open')");
    }
    await().atMost(TIMEOUT).until(() -> pubsub.publishedMessages(PROJECT, topic).size() >= 20);
    pubsub.publishLatency(Duration.ofSeconds(4));
    pg.execute("UPDATE tickets SET state = 'closed'");
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                pubsub.publishRequests() > 0
                    && pubsub.publishedMessages(PROJECT, topic).size() > 100);
    first.close(); // publishes are outstanding: their acknowledgements take 4 s
    pubsub.clearFaults();

    int publishedBeforeRestart = pubsub.publishedMessages(PROJECT, topic).size();

    try (Pipeline second =
        Datis.capture(pg.source())
            .name("crash")
            .tables("public.tickets")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.file(offsets))
            .to(sink(topic).build())
            .start()) {
      // Delivery is in commit order: once this later row is published, the uncommitted tail before
      // it was too.
      pg.execute("INSERT INTO tickets VALUES (1000, 'marker')");
      await()
          .atMost(TIMEOUT)
          .until(() -> HotKeys.distinctEvents(pubsub.publishedMessages(PROJECT, topic)) >= 201);
    }

    List<PubsubMessage> published = pubsub.publishedMessages(PROJECT, topic);
    assertThat(HotKeys.distinctEvents(published)).isEqualTo(201);
    assertThat(published.size())
        .as("the unacknowledged tail of the first run was published again")
        .isGreaterThan(publishedBeforeRestart + 1);
    Map<String, String> idByChange = new HashMap<>();
    for (PubsubMessage message : published) {
      Map<String, String> a = message.getAttributesMap();
      String change =
          a.get("datis-table")
              + a.get("datis-lsn")
              + "/"
              + a.get("datis-txid")
              + "/"
              + a.get("datis-sequence");
      String previous = idByChange.putIfAbsent(change, a.get("datis-event-id"));
      assertThat(previous == null || previous.equals(a.get("datis-event-id")))
          .as("same event id for " + change)
          .isTrue();
    }
  }

  @Test
  void aRowOverTenMegabytesFailsThePipelineNamingTableKeyAndPositionButNoValues() throws Exception {
    String topic = "big-" + NAMES.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    pg.execute("CREATE TABLE public.blobs (id int PRIMARY KEY, content bytea)");
    Pipeline pipeline = start("big-fail", sink(topic).build(), "public.blobs");
    pg.execute("INSERT INTO blobs VALUES (1, decode(repeat('ab', 11000000), 'hex'))");

    assertThatThrownBy(() -> pipeline.awaitTermination(TIMEOUT))
        .isSameAs(pipeline.failure().orElseThrow());
    Throwable failure = pipeline.failure().orElseThrow();
    assertThat(failure).isInstanceOf(SinkException.class);
    MessageTooLargeException tooLarge = (MessageTooLargeException) failure.getCause();
    assertThat(tooLarge.table().toString()).isEqualTo("public.blobs");
    assertThat(tooLarge.keyColumns()).containsExactly("id");
    assertThat(tooLarge.getMessage())
        .startsWith("message for public.blobs (key columns [id]) at " + tooLarge.position())
        .contains("over Pub/Sub's 10 MB limit")
        .endsWith(
            "Fix: exclude or shrink the column with a transform (Transforms.dropColumns), or set deadLetterTopic(...) to divert such events")
        .doesNotContain("abab");
    assertThat(pubsub.publishedMessages(PROJECT, topic)).isEmpty();
  }

  @Test
  void aRowOverTenMegabytesGoesToTheDeadLetterTopicAndNothingAfterItIsLost() throws Exception {
    String topic = "dlq-main-" + NAMES.incrementAndGet();
    String deadLetters = topic + "-dead";
    pubsub.createTopic(PROJECT, topic);
    pubsub.createTopic(PROJECT, deadLetters);
    pg.execute("CREATE TABLE public.attachments (id int PRIMARY KEY, content bytea)");
    try (Pipeline pipeline =
        start("big-dlq", sink(topic).deadLetterTopic(deadLetters).build(), "public.attachments")) {
      pg.execute(
          "INSERT INTO attachments VALUES (1, 'small')",
          "INSERT INTO attachments VALUES (2, decode(repeat('ab', 11000000), 'hex'))",
          "INSERT INTO attachments VALUES (3, 'small')");

      await().atMost(TIMEOUT).until(() -> pubsub.publishedMessages(PROJECT, topic).size() >= 2);
      await()
          .atMost(TIMEOUT)
          .until(() -> pubsub.publishedMessages(PROJECT, deadLetters).size() >= 1);

      assertThat(pubsub.publishedMessages(PROJECT, topic))
          .extracting(m -> JSON.readTree(m.getData().toByteArray()).get("key").get("id").asInt())
          .containsExactly(1, 3);
      PubsubMessage dead = pubsub.publishedMessages(PROJECT, deadLetters).get(0);
      assertThat(dead.getAttributesMap())
          .containsEntry("datis-error", "message-too-large")
          .containsEntry("datis-table", "public.attachments")
          .containsEntry("datis-original-topic", "projects/" + PROJECT + "/topics/" + topic);
      JsonNode description = JSON.readTree(dead.getData().toByteArray());
      assertThat(description.get("error").asText()).contains("over Pub/Sub's 10 MB limit");
      assertThat(description.get("keyColumns").get(0).asText()).isEqualTo("id");
      assertThat(dead.getData().size()).isLessThan(2_000);
      assertThat(pipeline.isRunning()).isTrue();
    }
  }

  @Test
  void aMissingTopicIsAClearErrorAtStart() {
    pg.execute("CREATE TABLE IF NOT EXISTS public.plain (id int PRIMARY KEY)");

    assertThatThrownBy(() -> start("no-topic", sink("does-not-exist").build(), "public.plain"))
        .isInstanceOf(SinkException.class)
        .hasMessage(
            "Pub/Sub topic projects/datis-test/topics/does-not-exist does not exist. Fix: create the topic"
                + " (gcloud pubsub topics create does-not-exist --project=datis-test), or call"
                + " createTopicIfMissing(true) during development");
  }

  @Test
  void createTopicIfMissingCreatesIt() {
    pg.execute("CREATE TABLE IF NOT EXISTS public.plain (id int PRIMARY KEY)");

    try (Pipeline pipeline =
        start(
            "create-topic",
            sink("created-on-start").createTopicIfMissing(true).build(),
            "public.plain")) {
      assertThat(pubsub.publishedMessages(PROJECT, "created-on-start")).isEmpty();
    }
  }

  @Test
  void aBadProjectIdIsAClearErrorAtStart() {
    pg.execute("CREATE TABLE IF NOT EXISTS public.plain (id int PRIMARY KEY)");

    assertThatThrownBy(
            () ->
                start(
                    "bad-project",
                    PubSubSink.builder("Bad Project!", "t").emulator(pubsub.hostPort()).build(),
                    "public.plain"))
        .isInstanceOf(SinkException.class)
        .hasMessageStartingWith(
            "Pub/Sub rejected the check of topic projects/Bad Project!/topics/t: INVALID_ARGUMENT")
        .hasMessageEndingWith(
            "Fix: check the project id and topic name: projects/Bad Project!/topics/t");
  }

  @Test
  void anUnreachableEndpointIsAClearErrorAtStart() {
    pg.execute("CREATE TABLE IF NOT EXISTS public.plain (id int PRIMARY KEY)");
    PubSubSink unreachable =
        PubSubSink.builder(PROJECT, "t")
            .emulator("127.0.0.1:1")
            .startTimeout(Duration.ofSeconds(2))
            .build();

    assertThatThrownBy(() -> start("unreachable", unreachable, "public.plain"))
        .isInstanceOf(SinkException.class)
        .hasMessageStartingWith(
            "Cannot reach Pub/Sub at 127.0.0.1:1 (emulator(...): plaintext, no credentials) to check topic projects/datis-test/topics/t: ")
        .hasMessageEndingWith(
            ". Fix: check the endpoint (or PUBSUB_EMULATOR_HOST), the network and any proxy");
  }
}
