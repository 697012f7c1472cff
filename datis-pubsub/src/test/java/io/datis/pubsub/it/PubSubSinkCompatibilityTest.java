package io.datis.pubsub.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.sink.Sink;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.SinkCompatibilityKit;
import io.datis.testkit.pubsub.LocalPubSub;
import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link PubSubSink}, through the real Pub/Sub client, against the testkit's local Pub/Sub server,
 * passes the sink compatibility kit. What was delivered is read back from the topic's log and the
 * Datis JSON envelope.
 */
class PubSubSinkCompatibilityTest extends SinkCompatibilityKit {

  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-kit";
  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static final ObjectMapper JSON = new ObjectMapper();

  private String topic = "";

  @Override
  protected Sink createSink() {
    pubsub.clearFaults();
    topic = "kit-" + TOPICS.incrementAndGet();
    pubsub.createTopic(PROJECT, topic);
    return configure(
            PubSubSink.builder(PROJECT, topic)
                .emulator(pubsub.hostPort())
                .closeTimeout(Duration.ofSeconds(5)))
        .build();
  }

  /** Options on top of the kit's sink; none here. */
  protected PubSubSink.Builder configure(PubSubSink.Builder sink) {
    return sink;
  }

  @Override
  protected List<DeliveredEvent> delivered() throws IOException {
    List<DeliveredEvent> delivered = new ArrayList<>();
    for (PubsubMessage message : pubsub.publishedMessages(PROJECT, topic)) {
      Map<String, String> attributes = message.getAttributesMap();
      JsonNode envelope = JSON.readTree(message.getData().toByteArray());
      Map<String, String> key = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> columns = envelope.get("key").fields();
          columns.hasNext(); ) {
        Map.Entry<String, JsonNode> column = columns.next();
        key.put(column.getKey(), column.getValue().asText());
      }
      delivered.add(
          DeliveredEvent.of(
              TableId.parse(attributes.get("datis-table")),
              Operation.valueOf(attributes.get("datis-operation")),
              Position.of(
                  Position.parseLsn(attributes.get("datis-lsn")),
                  Long.parseLong(attributes.get("datis-txid")),
                  Long.parseLong(attributes.get("datis-sequence"))),
              key));
    }
    return delivered;
  }

  @Override
  protected void makeDestinationFail() {
    // Not retryable: the client gives up at once and the sink fails the batch.
    pubsub.failPublishesFor(Duration.ofMinutes(5), Status.Code.PERMISSION_DENIED);
  }
}
