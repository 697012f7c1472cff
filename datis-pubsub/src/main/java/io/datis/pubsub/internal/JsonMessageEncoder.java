package io.datis.pubsub.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The encoder of every {@link io.datis.pubsub.MessageFormat}: streams the envelope with Jackson's
 * {@link JsonGenerator} into a per-thread buffer (no tree is built), then adds the attributes.
 * Immutable and thread-safe.
 */
public final class JsonMessageEncoder implements MessageEncoder {

  /** The envelope and attribute layout of a format. */
  public enum Layout {
    /** The Datis envelope. */
    DATIS,
    /** The Debezium-compatible envelope. */
    DEBEZIUM,
    /** CloudEvents 1.0, structured mode: the Datis envelope in {@code data}. */
    CLOUD_EVENTS_STRUCTURED,
    /** CloudEvents 1.0, binary mode: the Datis envelope as data, the context in attributes. */
    CLOUD_EVENTS_BINARY
  }

  /** The CloudEvents version written in {@code specversion}. */
  static final String CLOUD_EVENTS_SPEC_VERSION = "1.0";

  static final String APPLICATION_JSON = "application/json";

  /**
   * The {@code content-type} attribute of structured CloudEvents, by which receivers tell them from
   * binary ones.
   */
  static final String CLOUD_EVENTS_JSON = "application/cloudevents+json; charset=UTF-8";

  private static final JsonFactory JSON = JsonFactory.builder().build();

  private static final ThreadLocal<Buffer> BUFFERS = ThreadLocal.withInitial(Buffer::new);

  private final Layout layout;
  private final UserAttributes userAttributes;

  /** An encoder of the given layout that adds the given user attributes. */
  public JsonMessageEncoder(Layout layout, UserAttributes userAttributes) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.userAttributes = Objects.requireNonNull(userAttributes, "userAttributes");
  }

  /** The layout this encoder writes. */
  public Layout layout() {
    return layout;
  }

  /** The user attributes this encoder adds. */
  public UserAttributes userAttributes() {
    return userAttributes;
  }

  @Override
  public PubsubMessage encode(ChangeEvent event, String orderingKey, EncodingContext context) {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(orderingKey, "orderingKey");
    Objects.requireNonNull(context, "context");
    Position position = event.position();
    String eventId = EventIds.of(position);
    String lsn = position.lsnText();
    String commitTime = JsonValues.instant(event.commitTime());

    PubsubMessage.Builder message = PubsubMessage.newBuilder();
    message.setData(body(event, eventId, lsn, commitTime, context));
    if (!orderingKey.isEmpty()) {
      message.setOrderingKey(orderingKey);
    }
    if (!userAttributes.isEmpty()) {
      userAttributes.putInto(message, event);
    }
    String table = event.table().toString();
    putStandardAttributes(message, event, table, eventId, lsn, commitTime);
    if (layout == Layout.CLOUD_EVENTS_BINARY) {
      message.putAttributes(AttributeNames.CE_SPECVERSION, CLOUD_EVENTS_SPEC_VERSION);
      message.putAttributes(AttributeNames.CE_ID, eventId);
      message.putAttributes(AttributeNames.CE_SOURCE, context.cloudEventsSource());
      message.putAttributes(AttributeNames.CE_TYPE, cloudEventsType(event.operation()));
      message.putAttributes(AttributeNames.CE_SUBJECT, table);
      message.putAttributes(AttributeNames.CE_TIME, commitTime);
      message.putAttributes(AttributeNames.CONTENT_TYPE, APPLICATION_JSON);
    } else if (layout == Layout.CLOUD_EVENTS_STRUCTURED) {
      message.putAttributes(AttributeNames.CONTENT_TYPE, CLOUD_EVENTS_JSON);
    }
    return message.build();
  }

  /** Puts the {@code datis-*} attributes that every message carries, whatever the format. */
  static void putStandardAttributes(PubsubMessage.Builder message, ChangeEvent event) {
    Position position = event.position();
    putStandardAttributes(
        message,
        event,
        event.table().toString(),
        EventIds.of(position),
        position.lsnText(),
        JsonValues.instant(event.commitTime()));
  }

  private static void putStandardAttributes(
      PubsubMessage.Builder message,
      ChangeEvent event,
      String table,
      String eventId,
      String lsn,
      String commitTime) {
    Position position = event.position();
    message.putAttributes(AttributeNames.TABLE, table);
    message.putAttributes(AttributeNames.OPERATION, event.operation().name());
    message.putAttributes(AttributeNames.LSN, lsn);
    message.putAttributes(AttributeNames.TRANSACTION_ID, Long.toString(position.transactionId()));
    message.putAttributes(AttributeNames.SEQUENCE, Long.toString(position.sequence()));
    message.putAttributes(AttributeNames.COMMIT_TIME, commitTime);
    message.putAttributes(AttributeNames.EVENT_ID, eventId);
    String traceParent = event.traceParent().orElse(null);
    if (traceParent != null) {
      message.putAttributes(AttributeNames.TRACE_PARENT, traceParent);
    }
  }

  private ByteString body(
      ChangeEvent event, String eventId, String lsn, String commitTime, EncodingContext context) {
    Buffer buffer = BUFFERS.get();
    buffer.reset();
    try (JsonGenerator json = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
      switch (layout) {
        case DATIS:
        case CLOUD_EVENTS_BINARY:
          DatisEnvelope.write(json, event, eventId, lsn, commitTime);
          break;
        case DEBEZIUM:
          DebeziumEnvelope.write(json, event, context);
          break;
        case CLOUD_EVENTS_STRUCTURED:
          json.writeStartObject();
          json.writeStringField("specversion", CLOUD_EVENTS_SPEC_VERSION);
          json.writeStringField("id", eventId);
          json.writeStringField("source", context.cloudEventsSource());
          json.writeStringField("type", cloudEventsType(event.operation()));
          json.writeStringField("subject", event.table().toString());
          json.writeStringField("time", commitTime);
          json.writeStringField("datacontenttype", APPLICATION_JSON);
          json.writeFieldName("data");
          DatisEnvelope.write(json, event, eventId, lsn, commitTime);
          json.writeEndObject();
          break;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write JSON for " + event + " to memory", e);
    }
    return buffer.toByteStringAndRelease();
  }

  /** The CloudEvents {@code type}: {@code io.datis.change.} and the operation in lower case. */
  static String cloudEventsType(Operation operation) {
    switch (operation) {
      case INSERT:
        return "io.datis.change.insert";
      case UPDATE:
        return "io.datis.change.update";
      case DELETE:
        return "io.datis.change.delete";
      case TRUNCATE:
        return "io.datis.change.truncate";
      case SNAPSHOT_READ:
        return "io.datis.change.snapshot_read";
    }
    throw new AssertionError(operation);
  }

  @Override
  public String toString() {
    return "JsonMessageEncoder[" + layout + ", " + userAttributes + "]";
  }

  /**
   * A growable byte buffer reused by one thread. After a very large message it shrinks back, so one
   * outsized row does not pin memory.
   */
  private static final class Buffer extends OutputStream {
    private static final int INITIAL_CAPACITY = 8 * 1024;
    private static final int RETAINED_CAPACITY = 1024 * 1024;

    private byte[] bytes = new byte[INITIAL_CAPACITY];
    private int count;

    void reset() {
      count = 0;
    }

    @Override
    public void write(int b) {
      ensureCapacity(count + 1);
      bytes[count++] = (byte) b;
    }

    @Override
    public void write(byte[] source, int offset, int length) {
      Objects.checkFromIndexSize(offset, length, source.length);
      ensureCapacity(count + length);
      System.arraycopy(source, offset, bytes, count, length);
      count += length;
    }

    ByteString toByteStringAndRelease() {
      ByteString result = ByteString.copyFrom(bytes, 0, count);
      count = 0;
      if (bytes.length > RETAINED_CAPACITY) {
        bytes = new byte[INITIAL_CAPACITY];
      }
      return result;
    }

    private void ensureCapacity(int needed) {
      if (needed < 0) {
        throw new IllegalStateException("Message over 2 GB");
      }
      if (needed > bytes.length) {
        int grown =
            Math.max(needed, bytes.length < (1 << 30) ? bytes.length * 2 : Integer.MAX_VALUE - 8);
        bytes = Arrays.copyOf(bytes, grown);
      }
    }
  }
}
