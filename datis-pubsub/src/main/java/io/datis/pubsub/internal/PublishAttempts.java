package io.datis.pubsub.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * Sees every Publish request on the wire, including the attempts the client retries by itself. With
 * message ordering on, the client retries a failing publish for ever without telling anyone, so this
 * is how the sink learns of an outage (and its end) to report it in the pipeline's health.
 */
final class PublishAttempts implements ClientInterceptor {

  /** Told the outcome of each Publish attempt. */
  interface Outcomes {
    void failed(Status status);

    void succeeded();
  }

  private static final String PUBLISH = "google.pubsub.v1.Publisher/Publish";

  private final Outcomes outcomes;

  PublishAttempts(Outcomes outcomes) {
    this.outcomes = outcomes;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    ClientCall<Q, R> call = next.newCall(method, options);
    if (!method.getFullMethodName().equals(PUBLISH)) {
      return call;
    }
    return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
      @Override
      public void start(ClientCall.Listener<R> responseListener, Metadata headers) {
        super.start(
            new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(responseListener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                if (status.isOk()) {
                  outcomes.succeeded();
                } else {
                  outcomes.failed(status);
                }
                super.onClose(status, trailers);
              }
            },
            headers);
      }
    };
  }
}
