package io.datis.api;

import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import org.jspecify.annotations.Nullable;

/**
 * A transform threw or broke its contract. The message names the transform and the position of the
 * event (never its row values); the transform's exception, if any, is the cause.
 */
public final class TransformException extends DatisException {

  private static final long serialVersionUID = 1L;

  private final String transformName;
  private final TableId table;
  private final Position position;

  /** Creates an exception for the transform that failed on the event at the given position. */
  public TransformException(
      String message,
      String transformName,
      TableId table,
      Position position,
      @Nullable Throwable cause) {
    super(message, cause);
    this.transformName = transformName;
    this.table = table;
    this.position = position;
  }

  /** The name of the transform that failed. */
  public String transformName() {
    return transformName;
  }

  /** The table of the event being transformed. */
  public TableId table() {
    return table;
  }

  /** The position of the event being transformed. */
  public Position position() {
    return position;
  }
}
