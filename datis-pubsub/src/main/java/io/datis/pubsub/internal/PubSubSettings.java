package io.datis.pubsub.internal;

import com.google.api.gax.core.CredentialsProvider;
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
    @Nullable String endpoint,
    @Nullable String emulatorHost,
    @Nullable CredentialsProvider credentials,
    boolean createTopicIfMissing,
    @Nullable TopicName deadLetterTopic,
    Duration startTimeout,
    Duration closeTimeout) {

  /** Where the client connects, for messages. */
  public String describeEndpoint() {
    if (emulatorHost != null) {
      return emulatorHost + " (emulator, plaintext)";
    }
    return endpoint != null ? endpoint : "pubsub.googleapis.com:443";
  }
}
