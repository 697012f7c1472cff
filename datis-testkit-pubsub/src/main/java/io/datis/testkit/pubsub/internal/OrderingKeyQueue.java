package io.datis.testkit.pubsub.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages of one ordering key of a subscription with message ordering: those waiting, in
 * publish order, and the <em>run</em> leased out from the head of the queue, which must be
 * acknowledged as a whole before the key delivers again. Guarded by the subscription's monitor.
 */
final class OrderingKeyQueue {

  final String key;
  final ArrayDeque<PendingMessage> waiting = new ArrayDeque<>();
  final List<Lease> run = new ArrayList<>();

  /** The leases of the run not acknowledged yet. */
  int unacked;

  /** Whether the key is in the queue of keys ready to deliver. */
  boolean queued;

  OrderingKeyQueue(String key) {
    this.key = key;
  }
}
