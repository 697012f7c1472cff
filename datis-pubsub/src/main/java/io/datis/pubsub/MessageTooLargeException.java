package io.datis.pubsub;

import io.datis.api.DatisException;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import java.util.List;

/**
 * A change event cannot be published because its message breaks one of Pub/Sub's limits (10 MB per
 * message, 100 attributes, attribute sizes, ordering key size). The message names the table, the key
 * columns and the position, never row values. Configure {@link PubSubSink.Builder#deadLetterTopic} to
 * divert such events instead of stopping the pipeline.
 */
public final class MessageTooLargeException extends DatisException {

  private static final long serialVersionUID = 1L;

  private final TableId table;
  private final List<String> keyColumns;
  private final Position position;

  /** Creates the exception for the event at the given position. */
  public MessageTooLargeException(String message, TableId table, List<String> keyColumns, Position position) {
    super(message, null);
    this.table = table;
    this.keyColumns = List.copyOf(keyColumns);
    this.position = position;
  }

  /** The table of the event. */
  public TableId table() {
    return table;
  }

  /** The key columns of the event's table. */
  public List<String> keyColumns() {
    return keyColumns;
  }

  /** The position of the event. */
  public Position position() {
    return position;
  }
}
