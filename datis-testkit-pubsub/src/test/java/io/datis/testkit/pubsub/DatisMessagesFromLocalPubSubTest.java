package io.datis.testkit.pubsub;

import static io.datis.testkit.DatisAssertions.assertThatEvents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublisherGrpc;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link LocalPubSub#publishedEvents} and {@link LocalPubSub#pullEvents}, over gRPC. */
class DatisMessagesFromLocalPubSubTest {

  private static final String PROJECT = "proj";

  @RegisterExtension static LocalPubSub pubsub = LocalPubSub.create();

  private static ManagedChannel channel;

  @BeforeAll
  static void connect() {
    channel = ManagedChannelBuilder.forTarget(pubsub.hostPort()).usePlaintext().build();
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void readsThePublishedMessagesOfAnyFormatBackAsEventsInOrder() {
    String topic = pubsub.createTopic(PROJECT, "mixed-formats");
    publish(
        topic,
        DatisMessagesTest.message(
            DatisMessagesTest.DATIS_ENVELOPE, DatisMessagesTest.STANDARD_ATTRIBUTES),
        DatisMessagesTest.message(
            DatisMessagesTest.DEBEZIUM_ENVELOPE, DatisMessagesTest.STANDARD_ATTRIBUTES));

    List<ChangeEvent> events = pubsub.publishedEvents(PROJECT, "mixed-formats");

    assertThatEvents(events).hasSize(2).hasOperations(Operation.UPDATE, Operation.UPDATE);
    assertThatEvents(events).first().isUpdateOf("id", 10L).hasUnchanged("notes");
    assertThatEvents(events).last().hasAfterColumn("id", 10L).hasUnchanged("notes");
    assertThat(events.get(0).after()).isEqualTo(events.get(1).after());
    assertThat(pubsub.publishedEvents(PROJECT, "never-published")).isEmpty();
  }

  @Test
  void pullsAcknowledgesAndDecodesEvents() {
    String topic = pubsub.createTopic(PROJECT, "pulled");
    pubsub.createSubscription(PROJECT, "pulled-sub", "pulled", true);
    publish(
        topic,
        DatisMessagesTest.message(DatisMessagesTest.DATIS_ENVELOPE, Map.of()),
        DatisMessagesTest.message(DatisMessagesTest.DATIS_ENVELOPE, Map.of()));

    List<ChangeEvent> first = pubsub.pullEvents(PROJECT, "pulled-sub", 1);
    List<ChangeEvent> rest = pubsub.pullEvents(PROJECT, "pulled-sub", 10);

    assertThatEvents(first).hasSize(1).first().isUpdateOf("id", 10L);
    assertThatEvents(rest).hasSize(1);
    assertThat(pubsub.unacknowledgedCount(PROJECT, "pulled-sub")).isZero();
    assertThat(pubsub.pullEvents(PROJECT, "pulled-sub", 10)).isEmpty();
  }

  @Test
  void namesTheTopicAndTheMessageThatIsNotDatis() {
    String topic = pubsub.createTopic(PROJECT, "not-only-datis");
    pubsub.createSubscription(PROJECT, "not-only-datis-sub", "not-only-datis", false);
    publish(
        topic,
        DatisMessagesTest.message(DatisMessagesTest.DATIS_ENVELOPE, Map.of()),
        DatisMessagesTest.message("hello", Map.of()));
    String id = pubsub.publishedMessages(PROJECT, "not-only-datis").get(1).getMessageId();
    String problem =
        ": Message 2 of 2 (id "
            + id
            + "): Not a Datis message: got data of 5 bytes that is not JSON and no attributes;"
            + " expected one of Datis's message formats: datisJson (a JSON object with op, table"
            + " and position), debeziumJson (a JSON object with op and source), cloudEvents"
            + " (attribute content-type application/cloudevents+json) or cloudEventsBinary"
            + " (attribute ce-specversion), with the CloudEvents type io.datis.change.*";

    assertThatThrownBy(() -> pubsub.publishedEvents(PROJECT, "not-only-datis"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot read the events published to projects/proj/topics/not-only-datis" + problem);
    assertThatThrownBy(() -> pubsub.pullEvents(PROJECT, "not-only-datis-sub", 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Cannot read the events pulled from projects/proj/subscriptions/not-only-datis-sub"
                + " (they are acknowledged)"
                + problem);
    assertThat(pubsub.unacknowledgedCount(PROJECT, "not-only-datis-sub")).isZero();
  }

  private static void publish(String topic, PubsubMessage... messages) {
    PublisherGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .publish(
            PublishRequest.newBuilder().setTopic(topic).addAllMessages(List.of(messages)).build());
  }
}
