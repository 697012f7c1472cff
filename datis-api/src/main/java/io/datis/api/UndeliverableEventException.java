package io.datis.api;

import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import org.jspecify.annotations.Nullable;

/**
 * A sink says one event can never be delivered, however often it is retried: a poison event, such
 * as a message over the destination's size limit. Unlike any other failure, this one lets the
 * pipeline's error policy act on the single event: stop ({@code ErrorPolicy.fail()}, the default),
 * skip it, or send it to a dead-letter sink; the rest of the batch is then delivered again.
 *
 * <p>A sink reports it from {@link io.datis.api.sink.Sink#deliver deliver}, by throwing it or by
 * returning a stage already failed with it, before it hands anything after that event to its
 * destination: that is what keeps the order of the other events. Reported later, it stops the
 * pipeline like any failure.
 *
 * <pre>{@code
 * if (encoded.length > MAX_BYTES) {
 *   throw new UndeliverableEventException(
 *       "The message of " + event.table() + " at " + event.position() + " has " + encoded.length
 *           + " bytes, over the limit of " + MAX_BYTES,
 *       event.table(), event.position(), null);
 * }
 * }</pre>
 *
 * <p>As with every Datis exception, the message must not contain row values.
 */
public class UndeliverableEventException extends DatisException {

  private static final long serialVersionUID = 1L;

  private final TableId table;
  private final Position position;

  /** Creates the exception for the event of {@code table} at {@code position}. */
  public UndeliverableEventException(
      String message, TableId table, Position position, @Nullable Throwable cause) {
    super(message, cause);
    this.table = table;
    this.position = position;
  }

  /** The table of the event that cannot be delivered. */
  public TableId table() {
    return table;
  }

  /** The position of the event that cannot be delivered: it identifies the event in its batch. */
  public Position position() {
    return position;
  }
}
