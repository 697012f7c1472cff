package io.datis.testkit.pubsub.internal;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs unary calls, answering {@link RpcException}s with their status. */
final class Rpc {

  private static final Logger LOG = LoggerFactory.getLogger(Rpc.class);

  private Rpc() {}

  static <T> void unary(StreamObserver<T> call, Supplier<T> operation) {
    T result;
    try {
      result = operation.get();
    } catch (RpcException e) {
      call.onError(e.toStatusException());
      return;
    } catch (RuntimeException e) {
      LOG.warn("LocalPubSub failed a call with an internal error", e);
      call.onError(
          Status.INTERNAL.withDescription("LocalPubSub: " + e).withCause(e).asRuntimeException());
      return;
    }
    call.onNext(result);
    call.onCompleted();
  }
}
