package io.datis.pubsub.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Writes the Debezium-compatible envelope, documented in {@link
 * io.datis.pubsub.MessageFormat#debeziumJson()}.
 */
final class DebeziumEnvelope {

  /** What Debezium writes for a value PostgreSQL did not send (an unchanged TOASTed column). */
  static final String UNAVAILABLE_VALUE = "__debezium_unavailable_value";

  private DebeziumEnvelope() {}

  static void write(JsonGenerator json, ChangeEvent event, EncodingContext context)
      throws IOException {
    Position position = event.position();
    json.writeStartObject();
    json.writeFieldName("before");
    writeImage(json, event, event.before().orElse(null));
    json.writeFieldName("after");
    writeImage(json, event, event.after().orElse(null));

    long commitMicros = JsonValues.epochMicros(event.commitTime());
    json.writeObjectFieldStart("source");
    json.writeStringField("version", context.connectorVersion());
    json.writeStringField("connector", "postgresql");
    json.writeStringField("name", context.pipelineName());
    json.writeNumberField("ts_ms", Math.floorDiv(commitMicros, 1_000L));
    json.writeStringField(
        "snapshot", event.operation() == Operation.SNAPSHOT_READ ? "true" : "false");
    json.writeStringField("db", context.databaseName());
    json.writeStringField("sequence", "[null,\"" + position.lsn() + "\"]");
    json.writeNumberField("ts_us", commitMicros);
    json.writeNumberField("ts_ns", commitMicros * 1_000L);
    json.writeStringField("schema", event.table().schema());
    json.writeStringField("table", event.table().table());
    json.writeNumberField("txId", position.transactionId());
    json.writeNumberField("lsn", position.lsn());
    json.writeNullField("xmin");
    json.writeEndObject();

    if (event.operation() == Operation.SNAPSHOT_READ) {
      json.writeNullField("transaction");
    } else {
      json.writeObjectFieldStart("transaction");
      json.writeStringField("id", position.transactionId() + ":" + position.lsn());
      json.writeNumberField("total_order", position.sequence());
      json.writeNumberField("data_collection_order", position.sequence());
      json.writeEndObject();
    }

    json.writeStringField("op", event.operation().debeziumCode());
    Instant now = context.clock().instant();
    long nowMicros = JsonValues.epochMicros(now);
    json.writeNumberField("ts_ms", Math.floorDiv(nowMicros, 1_000L));
    json.writeNumberField("ts_us", nowMicros);
    json.writeNumberField("ts_ns", nowMicros * 1_000L);
    json.writeEndObject();
  }

  private static void writeImage(
      JsonGenerator json, ChangeEvent event, @Nullable Map<String, @Nullable Object> image)
      throws IOException {
    if (image == null) {
      json.writeNull();
      return;
    }
    json.writeStartObject();
    for (Map.Entry<String, @Nullable Object> column : image.entrySet()) {
      json.writeFieldName(column.getKey());
      DatisEnvelope.writeColumn(json, event, column.getKey(), column.getValue(), UNAVAILABLE_VALUE);
    }
    json.writeEndObject();
  }
}
