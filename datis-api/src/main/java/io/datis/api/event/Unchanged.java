package io.datis.api.event;

/**
 * The value of a column that PostgreSQL did not send because it did not change and is stored out of
 * line (TOASTed). This happens in the {@code after} image of an update when the table's replica
 * identity is {@code DEFAULT}; with {@code REPLICA IDENTITY FULL} the real value is sent instead.
 *
 * <p>There is exactly one instance, {@link #VALUE}: test with {@code value == Unchanged.VALUE} or
 * {@code value instanceof Unchanged}.
 */
public final class Unchanged {

  /** The one marker value. */
  public static final Unchanged VALUE = new Unchanged();

  private Unchanged() {}

  /** Returns {@code <unchanged>}. */
  @Override
  public String toString() {
    return "<unchanged>";
  }
}
