/**
 * The Google Cloud Pub/Sub sink: {@link io.datis.pubsub.PubSubSink} publishes change events through
 * the official client, in a {@link io.datis.pubsub.MessageFormat} of your choice, with {@link
 * io.datis.pubsub.OrderingKeys} that keep each row's changes in order.
 */
@NullMarked
package io.datis.pubsub;

import org.jspecify.annotations.NullMarked;
