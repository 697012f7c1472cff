package io.datis.pubsub.internal;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.cloud.pubsub.v1.stub.PublisherStubSettings;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * How the sink reaches Pub/Sub: a plaintext channel without credentials for an emulator (or the
 * testkit's local server), otherwise the default gRPC transport to the configured endpoint with
 * Application Default Credentials or the given provider.
 */
final class PubSubConnection implements AutoCloseable {

  private final @Nullable ManagedChannel emulatorChannel;
  private final TransportChannelProvider channelProvider;
  private final CredentialsProvider credentials;
  private final @Nullable String endpoint;

  PubSubConnection(PubSubSettings settings) {
    PubSubTarget target = settings.target();
    String emulatorHost = target.emulatorHost();
    if (emulatorHost != null) {
      this.emulatorChannel = ManagedChannelBuilder.forTarget(emulatorHost).usePlaintext().build();
      this.channelProvider =
          FixedTransportChannelProvider.create(GrpcTransportChannel.create(emulatorChannel));
      this.credentials = NoCredentialsProvider.create();
      this.endpoint = null;
    } else {
      this.emulatorChannel = null;
      this.channelProvider = PublisherStubSettings.defaultGrpcTransportProviderBuilder().build();
      CredentialsProvider given = target.credentials();
      this.credentials =
          given != null ? given : TopicAdminSettings.defaultCredentialsProviderBuilder().build();
      this.endpoint = target.endpoint();
    }
  }

  /** The channel provider to give clients: the emulator's channel, or the default transport. */
  TransportChannelProvider channelProvider() {
    return channelProvider;
  }

  CredentialsProvider credentials() {
    return credentials;
  }

  /** The endpoint to give clients, or {@code null} for the default (or the emulator's channel). */
  @Nullable String endpoint() {
    return endpoint;
  }

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
