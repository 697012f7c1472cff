package io.datis.pubsub.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.DeadLetter;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The messages Datis publishes for events it could not deliver, both for the sink's own {@code
 * deadLetterTopic(...)} and for a {@code PubSubSink} used as a pipeline's dead-letter sink: the
 * event's message with attributes saying why ({@link #withFailure}), or, when that message breaks
 * Pub/Sub's limits or cannot be encoded, a description of the event without its row ({@link
 * #tooLarge}, {@link #notEncodable}).
 */
final class DeadLetterMessage {

  /** {@link AttributeNames#ERROR} of a description in place of a message over Pub/Sub's limits. */
  static final String MESSAGE_TOO_LARGE = "message-too-large";

  /**
   * {@link AttributeNames#ERROR} of a description in place of a message that could not be encoded.
   */
  static final String NOT_ENCODABLE = "not-encodable";

  private static final ObjectMapper JSON = new ObjectMapper();

  private DeadLetterMessage() {}

  /** The event's message with the attributes that say where, why and when it failed. */
  static PubsubMessage withFailure(PubsubMessage message, DeadLetter letter) {
    PubsubMessage.Builder withFailure = message.toBuilder();
    putFailure(withFailure, letter);
    return withFailure.build();
  }

  /**
   * A description of the letter's event in place of its message, which breaks Pub/Sub's limits,
   * with {@code datis-error=message-too-large}.
   *
   * @param intended the topic the event was meant for, or {@code null} when that is the dead-letter
   *     topic itself
   * @param violations the limits the message breaks ({@link PubSubLimits#violations})
   */
  static PubsubMessage tooLarge(
      DeadLetter letter, @Nullable TopicName intended, List<String> violations) {
    return describe(letter, intended, MESSAGE_TOO_LARGE, String.join("; ", violations));
  }

  /**
   * A description of the letter's event in place of its message, which could not be encoded (a
   * value of a type no format supports, or an attribute function that failed on it), with {@code
   * datis-error=not-encodable}. Only the error's type is given: the message of an exception from
   * user code could quote row values.
   */
  static PubsubMessage notEncodable(DeadLetter letter, RuntimeException error) {
    return describe(
        letter,
        null,
        NOT_ENCODABLE,
        "the event cannot be encoded in the sink's message format: " + error.getClass().getName());
  }

  /**
   * The event's table, operation, key columns and position and the problem in JSON, never row
   * values; the event's standard {@code datis-*} attributes, the failure attributes and {@code
   * datis-error}.
   */
  private static PubsubMessage describe(
      DeadLetter letter, @Nullable TopicName intended, String error, String problem) {
    ChangeEvent event = letter.event();
    ObjectNode description = JSON.createObjectNode();
    description.put("error", problem);
    description.put("table", event.table().toString());
    description.put("operation", event.operation().name());
    event.keyColumns().forEach(description.putArray("keyColumns")::add);
    description.put("lsn", event.position().lsnText());
    description.put("txId", event.position().transactionId());
    description.put("sequence", event.position().sequence());
    PubsubMessage.Builder message;
    try {
      message =
          PubsubMessage.newBuilder()
              .setData(ByteString.copyFrom(JSON.writeValueAsBytes(description)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("A tree of strings and numbers always serializes", e);
    }
    JsonMessageEncoder.putStandardAttributes(message, event);
    putFailure(message, letter);
    message.putAttributes(AttributeNames.ERROR, error);
    if (intended != null) {
      message.putAttributes(AttributeNames.ORIGINAL_TOPIC, intended.toString());
    }
    return message.build();
  }

  private static void putFailure(PubsubMessage.Builder message, DeadLetter letter) {
    message.putAttributes(AttributeNames.ERROR_STAGE, letter.stage().name());
    message.putAttributes(
        AttributeNames.ERROR_TYPE,
        Utf8.truncate(letter.errorType(), PubSubLimits.MAX_ATTRIBUTE_VALUE_BYTES));
    message.putAttributes(
        AttributeNames.ERROR_REASON,
        Utf8.truncate(letter.reason(), PubSubLimits.MAX_ATTRIBUTE_VALUE_BYTES));
    message.putAttributes(AttributeNames.FAILED_AT, JsonValues.instant(letter.failedAt()));
  }
}
