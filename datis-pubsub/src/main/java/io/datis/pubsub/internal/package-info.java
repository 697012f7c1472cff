/**
 * The Pub/Sub sink's implementation: message encoders, event ids, ordering-key sizing, Pub/Sub
 * limits and the publishing machinery. Not API: anything here may change in any release without
 * notice. Do not use it from your code; use {@link io.datis.pubsub} instead.
 */
@NullMarked
package io.datis.pubsub.internal;

import org.jspecify.annotations.NullMarked;
