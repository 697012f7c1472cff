package io.datis.pubsub.internal;

import com.google.api.gax.core.BackgroundResource;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublishResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Pub/Sub's Publish call, made on the client library's channel with its credentials and headers,
 * but without the library's callable chain: with one ordering key per row there is one request per
 * message, and that chain (batching and tracing wrappers, a retry layer that Datis turns off, a
 * routing header rebuilt from the topic's path template for every call) cost more CPU than the gRPC
 * call itself.
 */
final class PublishRpc implements AutoCloseable {

  /** Told how one request ended, on the transport's thread: must not block. */
  interface Callback {
    /** Pub/Sub took the request and returned this many message ids. */
    void published(int messageIds);

    /** The call failed: a {@link io.grpc.StatusRuntimeException}, or what the call threw. */
    void failed(Throwable error);
  }

  private static final MethodDescriptor<PublishRequest, PublishResponse> PUBLISH =
      MethodDescriptor.<PublishRequest, PublishResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(
              MethodDescriptor.generateFullMethodName("google.pubsub.v1.Publisher", "Publish"))
          .setRequestMarshaller(ProtoUtils.marshaller(PublishRequest.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(PublishResponse.getDefaultInstance()))
          .build();

  /** The routing header the client library sends with every Publish. */
  private static final Metadata.Key<String> REQUEST_PARAMS =
      Metadata.Key.of("x-goog-request-params", Metadata.ASCII_STRING_MARSHALLER);

  private final Channel channel;
  private final CallOptions callOptions;
  private final long timeoutNanos;
  private final BackgroundResource resources;

  /** The routing header of each topic path, built once. */
  private final Map<String, Metadata> routingHeaders = new ConcurrentHashMap<>();

  /**
   * @param channel the client library's channel (its headers and pool included)
   * @param callOptions the options the library would call with: credentials, compression
   * @param timeout how long one call may take
   * @param resources what to shut down with this
   */
  PublishRpc(
      Channel channel, CallOptions callOptions, Duration timeout, BackgroundResource resources) {
    this.channel = channel;
    // Answers are handled on the transport's thread: what a lane does with one (release flow
    // control, count acknowledgements, send its next request) never blocks, and handing every
    // answer to another thread cost more than the handling.
    this.callOptions = callOptions.withExecutor(MoreExecutors.directExecutor());
    this.timeoutNanos = timeout.toNanos();
    this.resources = resources;
  }

  /**
   * Sends one request; the callback hears how it ended, exactly once, failures on the client
   * included: this does not throw them.
   */
  void publish(PublishRequest request, Callback callback) {
    ResponseListener listener = new ResponseListener(callback);
    ClientCall<PublishRequest, PublishResponse> call;
    try {
      call =
          channel.newCall(
              PUBLISH, callOptions.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS));
    } catch (RuntimeException e) {
      listener.fail(e);
      return;
    }
    try {
      Metadata headers = new Metadata();
      headers.merge(routingHeaders.computeIfAbsent(request.getTopic(), PublishRpc::routingHeader));
      call.start(listener, headers);
    } catch (RuntimeException e) {
      // start() may have registered the listener before it threw (an interceptor's start after
      // its delegate's): the cancelled call's close then reaches the listener too, and is dropped.
      listener.fail(e);
      call.cancel("Starting the Publish call failed", e);
      return;
    }
    try {
      call.request(1);
      call.sendMessage(request);
      call.halfClose();
    } catch (RuntimeException e) {
      call.cancel("Publishing failed on the client", e); // the listener reports the cancellation
    }
  }

  private static Metadata routingHeader(String topicPath) {
    Metadata metadata = new Metadata();
    metadata.put(REQUEST_PARAMS, "topic=" + URLEncoder.encode(topicPath, StandardCharsets.UTF_8));
    return metadata;
  }

  /** Shuts the channel down, waiting up to the given time before abandoning calls. */
  boolean shutdown(Duration wait) throws InterruptedException {
    resources.shutdown();
    if (resources.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
      return true;
    }
    resources.shutdownNow();
    return false;
  }

  @Override
  public void close() {
    resources.shutdownNow();
  }

  /**
   * Hears how one call ended and tells the callback once: a lane that heard a request end twice
   * would send it again twice, and the copies could then be in flight together.
   */
  private static final class ResponseListener extends ClientCall.Listener<PublishResponse> {
    private final Callback callback;
    private final AtomicBoolean reported = new AtomicBoolean();
    private @Nullable PublishResponse response;

    ResponseListener(Callback callback) {
      this.callback = callback;
    }

    @Override
    public void onMessage(PublishResponse message) {
      response = message;
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      PublishResponse received = response;
      if (!status.isOk()) {
        fail(status.asRuntimeException(trailers));
      } else if (received == null) {
        fail(
            Status.INTERNAL
                .withDescription("Pub/Sub closed the Publish call without a response")
                .asRuntimeException());
      } else if (reported.compareAndSet(false, true)) {
        callback.published(received.getMessageIdsCount());
      }
    }

    /** Reports the call failed, unless its end was reported already. */
    void fail(Throwable error) {
      if (reported.compareAndSet(false, true)) {
        callback.failed(error);
      }
    }
  }
}
