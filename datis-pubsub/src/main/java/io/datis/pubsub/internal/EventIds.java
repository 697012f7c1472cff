package io.datis.pubsub.internal;

import io.datis.api.event.Position;

/**
 * Deterministic event ids. The id is derived from the event's {@link Position} only, so a change
 * that is delivered again after a restart carries the same id and subscribers can deduplicate on
 * it.
 *
 * <p>The form is {@code <lsn>-<txId>-<sequence>}: the LSN as 16 upper-case hexadecimal digits
 * (zero-padded), then the transaction id and the sequence in decimal, for example {@code
 * 00000000016B3748-571-3} for LSN {@code 0/16B3748}, transaction 571, third change. Ids of changes
 * of one table sort lexicographically by LSN.
 */
public final class EventIds {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private EventIds() {}

  /** The event id of the change at the given position. */
  public static String of(Position position) {
    StringBuilder id = new StringBuilder(40);
    long lsn = position.lsn();
    for (int shift = 60; shift >= 0; shift -= 4) {
      id.append(HEX[(int) (lsn >>> shift) & 0xF]);
    }
    return id.append('-')
        .append(position.transactionId())
        .append('-')
        .append(position.sequence())
        .toString();
  }
}
