package io.datis.api.event;

import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/**
 * Where a change sits in the PostgreSQL write-ahead log: its LSN, the id of its transaction and its
 * sequence number within that transaction (1 for the first change).
 *
 * <p>Several changes can share one LSN (for example the rows of one multi-row {@code INSERT} or
 * {@code COPY}); the {@linkplain #sequence() sequence} tells them apart. Snapshot reads have
 * transaction id 0 and count their sequence from the start of the snapshot.
 */
public final class Position implements Comparable<Position> {

  private static final Comparator<Position> ORDER =
      Comparator.comparingLong(Position::lsn)
          .thenComparingLong(Position::transactionId)
          .thenComparingLong(Position::sequence);

  private final long lsn;
  private final long transactionId;
  private final long sequence;

  private Position(long lsn, long transactionId, long sequence) {
    this.lsn = lsn;
    this.transactionId = transactionId;
    this.sequence = sequence;
  }

  /** A position; all three numbers must be zero or positive. */
  public static Position of(long lsn, long transactionId, long sequence) {
    if (lsn < 0 || transactionId < 0 || sequence < 0) {
      throw new IllegalArgumentException(
          "lsn, transactionId and sequence must not be negative: "
              + lsn
              + ", "
              + transactionId
              + ", "
              + sequence);
    }
    return new Position(lsn, transactionId, sequence);
  }

  /** The log sequence number of the change, as a number. */
  public long lsn() {
    return lsn;
  }

  /** The log sequence number in PostgreSQL's notation, e.g. {@code 0/16B3748}. */
  public String lsnText() {
    return formatLsn(lsn);
  }

  /** The PostgreSQL transaction id (xid); 0 for snapshot reads. */
  public long transactionId() {
    return transactionId;
  }

  /** The change's 1-based order within its transaction (or within the snapshot). */
  public long sequence() {
    return sequence;
  }

  /** Formats an LSN the way PostgreSQL prints it, e.g. {@code 0/16B3748}. */
  public static String formatLsn(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase()
        + '/'
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }

  /** Parses an LSN in PostgreSQL's notation, e.g. {@code 0/16B3748}. */
  public static long parseLsn(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("Not an LSN: '" + text + "' (expected e.g. 0/16B3748)");
    }
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }

  @Override
  public int compareTo(Position other) {
    return ORDER.compare(this, other);
  }

  /** For example {@code lsn 0/16B3748 tx 571 #3}. */
  @Override
  public String toString() {
    return "lsn " + lsnText() + " tx " + transactionId + " #" + sequence;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Position
        && ((Position) o).lsn == lsn
        && ((Position) o).transactionId == transactionId
        && ((Position) o).sequence == sequence;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(lsn) * 31 * 31
        + Long.hashCode(transactionId) * 31
        + Long.hashCode(sequence);
  }
}
