package io.datis.pubsub.internal;

import com.google.pubsub.v1.TopicName;
import io.datis.api.event.ChangeEvent;
import java.time.Duration;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Everything a {@link io.datis.pubsub.PubSubSink} was configured with; the defaults live in the
 * sink's builder, in one place.
 */
public record PubSubSettings(
    TopicName topic,
    @Nullable Function<ChangeEvent, @Nullable String> router,
    long batchMaxMessages,
    long batchMaxBytes,
    long maxOutstandingMessages,
    long maxOutstandingBytes,
    boolean compression,
    Duration publishTimeout,
    Duration retryInitialBackoff,
    Duration retryMaxBackoff,
    PubSubTarget target,
    boolean createTopicIfMissing,
    @Nullable TopicName deadLetterTopic,
    Duration startTimeout,
    Duration closeTimeout) {}
