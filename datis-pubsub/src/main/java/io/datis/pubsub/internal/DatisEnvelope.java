package io.datis.pubsub.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Position;
import io.datis.api.event.Unchanged;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Writes the Datis JSON envelope, documented in {@link io.datis.pubsub.MessageFormat#datisJson()}.
 */
final class DatisEnvelope {

  private DatisEnvelope() {}

  private static final SerializedString EVENT_ID = new SerializedString("eventId");
  private static final SerializedString OP = new SerializedString("op");
  private static final SerializedString TABLE = new SerializedString("table");
  private static final SerializedString SCHEMA = new SerializedString("schema");
  private static final SerializedString NAME = new SerializedString("name");
  private static final SerializedString KEY_COLUMNS = new SerializedString("keyColumns");
  private static final SerializedString KEY = new SerializedString("key");
  private static final SerializedString BEFORE = new SerializedString("before");
  private static final SerializedString AFTER = new SerializedString("after");
  private static final SerializedString UNCHANGED = new SerializedString("unchanged");
  private static final SerializedString POSITION = new SerializedString("position");
  private static final SerializedString LSN = new SerializedString("lsn");
  private static final SerializedString TX_ID = new SerializedString("txId");
  private static final SerializedString SEQUENCE = new SerializedString("sequence");
  private static final SerializedString COMMIT_TIME = new SerializedString("commitTime");

  /**
   * Writes the envelope of the event.
   *
   * @param eventId the event's id ({@link EventIds#of})
   * @param lsn the event's LSN in PostgreSQL's notation
   * @param commitTime the event's commit time, formatted
   */
  static void write(
      JsonGenerator json, ChangeEvent event, String eventId, String lsn, String commitTime)
      throws IOException {
    Map<String, @Nullable Object> before = event.before().orElse(null);
    Map<String, @Nullable Object> after = event.after().orElse(null);
    json.writeStartObject();
    json.writeFieldName(EVENT_ID);
    json.writeString(eventId);
    json.writeFieldName(OP);
    json.writeString(event.operation().name());
    json.writeFieldName(TABLE);
    json.writeStartObject();
    json.writeFieldName(SCHEMA);
    json.writeString(event.table().schema());
    json.writeFieldName(NAME);
    json.writeString(event.table().table());
    json.writeEndObject();
    json.writeFieldName(KEY_COLUMNS);
    json.writeStartArray();
    for (String column : event.keyColumns()) {
      json.writeString(column);
    }
    json.writeEndArray();
    json.writeFieldName(KEY);
    json.writeStartObject();
    Map<String, @Nullable Object> keyImage = after != null ? after : before;
    if (keyImage != null) {
      for (String column : event.keyColumns()) {
        json.writeFieldName(column);
        writeColumn(json, event, column, keyImage.get(column), null);
      }
    }
    json.writeEndObject();
    json.writeFieldName(BEFORE);
    List<String> unchanged = writeImage(json, event, before, null);
    json.writeFieldName(AFTER);
    unchanged = writeImage(json, event, after, unchanged);
    json.writeFieldName(UNCHANGED);
    json.writeStartArray();
    if (unchanged != null) {
      for (String column : unchanged) {
        json.writeString(column);
      }
    }
    json.writeEndArray();
    Position position = event.position();
    json.writeFieldName(POSITION);
    json.writeStartObject();
    json.writeFieldName(LSN);
    json.writeString(lsn);
    json.writeFieldName(TX_ID);
    json.writeNumber(position.transactionId());
    json.writeFieldName(SEQUENCE);
    json.writeNumber(position.sequence());
    json.writeEndObject();
    json.writeFieldName(COMMIT_TIME);
    json.writeString(commitTime);
    json.writeEndObject();
  }

  /**
   * Writes a row image without its unchanged TOASTed columns, and returns the list of those columns
   * (created on the first one found, appended to {@code unchanged} otherwise).
   */
  private static @Nullable List<String> writeImage(
      JsonGenerator json,
      ChangeEvent event,
      @Nullable Map<String, @Nullable Object> image,
      @Nullable List<String> unchanged)
      throws IOException {
    if (image == null) {
      json.writeNull();
      return unchanged;
    }
    json.writeStartObject();
    for (Map.Entry<String, @Nullable Object> column : image.entrySet()) {
      Object value = column.getValue();
      if (value == Unchanged.VALUE) {
        if (unchanged == null) {
          unchanged = new ArrayList<>(2);
        }
        if (!unchanged.contains(column.getKey())) {
          unchanged.add(column.getKey());
        }
      } else {
        json.writeFieldName(column.getKey());
        writeColumn(json, event, column.getKey(), value, null);
      }
    }
    json.writeEndObject();
    return unchanged;
  }

  /** Writes one column's value, naming the column (never the value) if its type has no encoding. */
  static void writeColumn(
      JsonGenerator json,
      ChangeEvent event,
      String column,
      @Nullable Object value,
      @Nullable String unchangedPlaceholder)
      throws IOException {
    try {
      JsonValues.write(json, value, unchangedPlaceholder);
    } catch (JsonValues.UnsupportedValueException e) {
      throw new IllegalArgumentException(
          "Cannot encode column '"
              + column
              + "' of "
              + event.table()
              + " at "
              + event.position()
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
