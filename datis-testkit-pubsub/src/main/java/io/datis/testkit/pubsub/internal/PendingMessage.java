package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;

/**
 * A message of a subscription, not acknowledged yet, with its serialized size, which limits
 * responses and counts against a stream's flow control.
 */
final class PendingMessage {

  final PubsubMessage message;
  final int size;

  PendingMessage(PubsubMessage message) {
    this.message = message;
    this.size = message.getSerializedSize();
  }
}
