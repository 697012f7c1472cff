/**
 * Implementation of {@link io.datis.testkit.pubsub.LocalPubSub}: the in-memory topics and
 * subscriptions, the gRPC services that expose them, and fault injection; and the envelope reading
 * of {@link io.datis.testkit.pubsub.DatisMessages}. Internal: these types are not API, are
 * unsupported, and may change or disappear in any release without notice.
 */
@NullMarked
package io.datis.testkit.pubsub.internal;

import org.jspecify.annotations.NullMarked;
