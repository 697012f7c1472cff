package io.datis.samples.pubsub;

import static io.datis.api.event.Operation.INSERT;
import static io.datis.api.event.Operation.UPDATE;
import static io.datis.testkit.DatisAssertions.assertThatEvents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.Pipeline;
import io.datis.api.event.ChangeEvent;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A subscriber's test of the CloudEvents sample: what arrives, in which order, with which context.
 */
class OrdersCloudEventsTest {

  @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static LocalPubSub pubsub = LocalPubSub.create();

  @Test
  void eachRowsChangesArriveInOrderAsCloudEvents() {
    pg.execute("CREATE TABLE public.orders (id int PRIMARY KEY, status text NOT NULL)");
    pubsub.createTopic("demo-project", OrdersCloudEvents.TOPIC);

    try (Pipeline pipeline =
        OrdersCloudEvents.start(pg.source(), "demo-project", pubsub.hostPort())) {
      pg.execute(
          "INSERT INTO orders SELECT i, 'new' FROM generate_series(1, 50) i",
          "UPDATE orders SET status = 'paid'",
          "UPDATE orders SET status = 'shipped' WHERE id <= 25");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  pubsub.publishedMessages("demo-project", OrdersCloudEvents.TOPIC).size() >= 125);
    }

    List<PubsubMessage> messages =
        pubsub.publishedMessages("demo-project", OrdersCloudEvents.TOPIC);
    PubsubMessage first = messages.get(0);
    assertThat(first.getAttributesMap())
        .containsEntry("ce-specversion", "1.0")
        .containsEntry("ce-type", "io.datis.change.insert")
        .containsEntry("ce-subject", "public.orders");
    assertThat(messages)
        .extracting(PubsubMessage::getOrderingKey)
        .allMatch(key -> key.matches("public\\.orders#[0-9]+"));

    List<ChangeEvent> events = pubsub.publishedEvents("demo-project", OrdersCloudEvents.TOPIC);
    assertThatEvents(events).forKey("id", 7L).containsOperationsInOrder(INSERT, UPDATE, UPDATE);
    assertThatEvents(events).forKey("id", 42L).containsOperationsInOrder(INSERT, UPDATE);
    assertThat(events).hasSize(125);
  }
}
