package io.datis.testkit.pubsub.internal;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A failure of a Pub/Sub operation, with the gRPC status code the real service answers with. The
 * gRPC services send it to the client as that status; {@code LocalPubSub}'s own methods turn it
 * into an {@link IllegalArgumentException} or {@link IllegalStateException}.
 */
public final class RpcException extends RuntimeException {

  private final Status.Code code;

  RpcException(Status.Code code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  static RpcException notFound(String resource) {
    return new RpcException(
        Status.Code.NOT_FOUND,
        "Resource not found (resource=" + Names.lastSegment(resource) + ").");
  }

  static RpcException alreadyExists(String resource) {
    return new RpcException(
        Status.Code.ALREADY_EXISTS,
        "Resource already exists in the project (resource=" + Names.lastSegment(resource) + ").");
  }

  static RpcException invalidArgument(String message) {
    return new RpcException(Status.Code.INVALID_ARGUMENT, message);
  }

  static RpcException unimplemented(String what) {
    return new RpcException(
        Status.Code.UNIMPLEMENTED,
        "LocalPubSub does not support "
            + what
            + "; use the Pub/Sub emulator or a real project for tests that need it.");
  }

  /** The gRPC status code. */
  public Status.Code code() {
    return code;
  }

  /** This failure as the gRPC status exception to send to a client. */
  public StatusRuntimeException toStatusException() {
    return Status.fromCode(code).withDescription(getMessage()).asRuntimeException();
  }

  /**
   * This failure as the exception of a Java method of {@code LocalPubSub}: an {@link
   * IllegalArgumentException} for invalid arguments, an {@link IllegalStateException} otherwise.
   */
  public RuntimeException toJavaException() {
    if (code == Status.Code.INVALID_ARGUMENT) {
      return new IllegalArgumentException(getMessage(), this);
    }
    return new IllegalStateException(getMessage(), this);
  }
}
