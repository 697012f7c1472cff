package io.datis.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;

/**
 * Turns a change event into a Pub/Sub message: its data in one of the {@link
 * io.datis.pubsub.MessageFormat}s, the ordering key, the standard {@code datis-*} attributes
 * ({@link AttributeNames}) and the user's attributes. Implementations are immutable and
 * thread-safe.
 */
public interface MessageEncoder {

  /**
   * Encodes one event.
   *
   * @param event the event
   * @param orderingKey the message's ordering key, or {@code ""} for none
   * @param context the pipeline and database names and the clock
   * @return the message; it is not checked against Pub/Sub's limits (see {@link PubSubLimits})
   * @throws IllegalArgumentException if a column holds a value of a type that has no encoding; the
   *     message names the column, the table and the position, never the value
   * @throws IllegalStateException if a user attribute function misbehaves (see {@link
   *     UserAttributes})
   */
  PubsubMessage encode(ChangeEvent event, String orderingKey, EncodingContext context);
}
