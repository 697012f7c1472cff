package io.datis.pubsub.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.datis.api.event.ChangeEvent;
import java.util.List;

/**
 * The message sent to the dead-letter topic in place of an event that cannot be published: what the event
 * was and why it was diverted, without its row (which is what was too large).
 */
final class DeadLetterMessage {

  private static final ObjectMapper JSON = new ObjectMapper();

  private DeadLetterMessage() {}

  static PubsubMessage describe(ChangeEvent event, PubsubMessage original, TopicName intended, List<String> violations) {
    ObjectNode description = JSON.createObjectNode();
    description.put("error", String.join("; ", violations));
    description.put("table", event.table().toString());
    description.put("operation", event.operation().name());
    event.keyColumns().forEach(description.putArray("keyColumns")::add);
    description.put("lsn", event.position().lsnText());
    description.put("txId", event.position().transactionId());
    description.put("sequence", event.position().sequence());
    PubsubMessage.Builder message;
    try {
      message = PubsubMessage.newBuilder().setData(ByteString.copyFrom(JSON.writeValueAsBytes(description)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("A tree of strings and numbers always serializes", e);
    }
    original.getAttributesMap().forEach(
        (key, value) -> {
          if (key.startsWith("datis-")) {
            message.putAttributes(key, value);
          }
        });
    message.putAttributes("datis-error", "message-too-large");
    message.putAttributes("datis-original-topic", intended.toString());
    return message.build();
  }
}
