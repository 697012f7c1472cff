package io.datis.pubsub.internal;

import com.google.api.gax.core.BackgroundResourceAggregation;
import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcCallContext;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.ClientContext;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.cloud.pubsub.v1.stub.PublisherStubSettings;
import io.datis.api.SinkException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * How the sink reaches Pub/Sub: a plaintext channel without credentials for an emulator (or the
 * testkit's local server), otherwise the default gRPC transport to the configured endpoint with
 * Application Default Credentials or the given provider. gRPC's own retries are off on both: Datis
 * retries each lane's requests itself, in order, and the retry layer cost CPU on every call.
 */
final class PubSubConnection implements AutoCloseable {

  private final @Nullable ManagedChannel emulatorChannel;
  private final TransportChannelProvider channelProvider;
  private final CredentialsProvider credentials;
  private final @Nullable String endpoint;
  private final String description;

  PubSubConnection(PubSubSettings settings) {
    PubSubTarget target = settings.target();
    this.description = target.description();
    String emulatorHost = target.emulatorHost();
    if (emulatorHost != null) {
      this.emulatorChannel =
          ManagedChannelBuilder.forTarget(emulatorHost).usePlaintext().disableRetry().build();
      this.channelProvider =
          FixedTransportChannelProvider.create(GrpcTransportChannel.create(emulatorChannel));
      this.credentials = NoCredentialsProvider.create();
      this.endpoint = null;
    } else {
      this.emulatorChannel = null;
      this.channelProvider =
          PublisherStubSettings.defaultGrpcTransportProviderBuilder()
              .setChannelConfigurator(PubSubConnection::withoutRetries)
              .build();
      CredentialsProvider given = target.credentials();
      this.credentials =
          given != null ? given : TopicAdminSettings.defaultCredentialsProviderBuilder().build();
      this.endpoint = target.endpoint();
    }
  }

  @SuppressWarnings("rawtypes") // gax's configurator takes the raw type
  private static ManagedChannelBuilder withoutRetries(ManagedChannelBuilder builder) {
    return builder.disableRetry();
  }

  /** A client that checks and creates topics. */
  TopicAdminClient topicAdmin() throws IOException {
    TopicAdminSettings.Builder admin =
        TopicAdminSettings.newBuilder().setCredentialsProvider(credentials);
    if (emulatorChannel != null) {
      admin.setTransportChannelProvider(channelProvider);
    }
    if (endpoint != null) {
      admin.setEndpoint(endpoint);
    }
    return TopicAdminClient.create(admin.build());
  }

  /**
   * Pub/Sub's Publish call on the client library's channel, credentials and headers (see {@link
   * PublishRpc}); Datis batches per ordering key and retries whole requests itself, in order (see
   * {@link PublishLane}). Each attempt may take up to {@code publishTimeout}.
   */
  PublishRpc publishRpc(Duration publishTimeout, boolean compression) {
    PublisherStubSettings.Builder builder =
        PublisherStubSettings.newBuilder()
            .setCredentialsProvider(credentials)
            .setTransportChannelProvider(channelProvider);
    if (endpoint != null) {
      builder.setEndpoint(endpoint);
    }
    ClientContext context;
    try {
      context = ClientContext.create(builder.build());
    } catch (IOException e) {
      throw new SinkException(
          "Cannot create the Pub/Sub client for " + description + ": " + e.getMessage(), e);
    }
    GrpcCallContext call = (GrpcCallContext) context.getDefaultCallContext();
    Channel channel = call.getChannel();
    if (channel == null) {
      throw new SinkException("The Pub/Sub client for " + description + " has no channel", null);
    }
    CallOptions options = call.getCallOptions();
    if (compression) {
      options = options.withCompression("gzip");
    }
    return new PublishRpc(
        channel,
        options,
        publishTimeout,
        new BackgroundResourceAggregation(context.getBackgroundResources()));
  }

  @Override
  public void close() {
    if (emulatorChannel != null) {
      emulatorChannel.shutdown();
      try {
        if (!emulatorChannel.awaitTermination(5, TimeUnit.SECONDS)) {
          emulatorChannel.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        emulatorChannel.shutdownNow();
      }
    }
  }
}
