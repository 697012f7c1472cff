package io.datis.pubsub;

import io.datis.api.UndeliverableEventException;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import java.util.List;

/**
 * A change event cannot be published because its message breaks one of Pub/Sub's limits (10 MB per
 * message, 100 attributes, attribute sizes, ordering key size). The message names the table, the
 * key columns and the position, never row values. To divert such events instead of stopping the
 * pipeline, set the pipeline's {@code errorPolicy} to skip or dead-letter them, or configure {@link
 * PubSubSink.Builder#deadLetterTopic}. A {@link PubSubSink} as the dead-letter sink ({@code
 * ErrorPolicy.deadLetter(deadLetterSink)}) publishes such an event as a description without its row
 * when the message is too large for its topic as well (see {@link MessageFormat}).
 *
 * <pre>{@code
 * pipeline.failure().ifPresent(e -> {
 *   if (e.getCause() instanceof MessageTooLargeException tooLarge) {
 *     log.error("{} at {} is too large for Pub/Sub", tooLarge.table(), tooLarge.position());
 *   }
 * });
 * }</pre>
 */
public final class MessageTooLargeException extends UndeliverableEventException {

  private static final long serialVersionUID = 1L;

  private final List<String> keyColumns;

  /** Creates the exception for the event at the given position. */
  public MessageTooLargeException(
      String message, TableId table, List<String> keyColumns, Position position) {
    super(message, table, position, null);
    this.keyColumns = List.copyOf(keyColumns);
  }

  /** The key columns of the event's table. */
  public List<String> keyColumns() {
    return keyColumns;
  }
}
