package io.datis.testkit.pubsub.internal;

import org.jspecify.annotations.Nullable;

/**
 * One delivery of a message, identified by its ack id: leased to a streaming pull stream or a Pull
 * call until it is acknowledged, or returned for redelivery when nacked or expired. Guarded by the
 * subscription's monitor.
 */
final class Lease {

  static final byte LEASED = 0;
  static final byte ACKED = 1;
  static final byte RETURNED = 2;

  final String ackId;
  final PendingMessage pending;

  /** The ordering key whose run this lease is part of, or null for an unordered message. */
  final @Nullable OrderingKeyQueue key;

  /** The stream whose flow control counts this lease, or null for a Pull call. */
  final @Nullable StreamingPullSession session;

  /** The position of this lease in its key's run. */
  int runIndex;

  long deadline;

  /** Counts deadline changes, so that {@link LeaseExpiries} can tell stale deadlines. */
  int stamp;

  byte state = LEASED;

  Lease(
      String ackId,
      PendingMessage pending,
      @Nullable OrderingKeyQueue key,
      @Nullable StreamingPullSession session) {
    this.ackId = ackId;
    this.pending = pending;
    this.key = key;
    this.session = session;
  }

  /**
   * Gives the message's share of its stream's flow control back.
   *
   * @return whether the lease had a stream, which may now receive more
   */
  boolean release() {
    StreamingPullSession stream = session;
    if (stream == null) {
      return false;
    }
    stream.leasedMessages--;
    stream.leasedBytes -= pending.size;
    return true;
  }
}
