package io.datis.pubsub.internal;

import com.google.api.gax.grpc.GrpcStatusCode;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import io.grpc.StatusRuntimeException;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/** Sorts Pub/Sub failures into those worth retrying (an outage) and those that need a person. */
final class PubSubErrors {

  /**
   * Failures that retrying cannot cure: the topic, the permissions or the request are wrong, and a
   * person must act. Every other status (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED,
   * INTERNAL, FAILED_PRECONDITION, ...) is treated as transient, and the request is sent again
   * after a backoff.
   */
  private static final Set<StatusCode.Code> NEEDS_A_PERSON =
      EnumSet.of(
          StatusCode.Code.NOT_FOUND,
          StatusCode.Code.PERMISSION_DENIED,
          StatusCode.Code.UNAUTHENTICATED,
          StatusCode.Code.INVALID_ARGUMENT,
          StatusCode.Code.UNIMPLEMENTED,
          StatusCode.Code.ALREADY_EXISTS,
          StatusCode.Code.OUT_OF_RANGE,
          StatusCode.Code.DATA_LOSS);

  private PubSubErrors() {}

  static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  /** The gRPC status of a failure, if it carries one. */
  static StatusCode.@Nullable Code code(Throwable error) {
    for (Throwable t = unwrap(error); t != null; t = t.getCause()) {
      if (t instanceof ApiException) {
        return ((ApiException) t).getStatusCode().getCode();
      }
      if (t instanceof StatusRuntimeException) {
        return GrpcStatusCode.of(((StatusRuntimeException) t).getStatus().getCode()).getCode();
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  /**
   * Whether publishing again later can succeed. Failures without a status (a broken connection,
   * say) are retryable.
   */
  static boolean isRetryable(Throwable error) {
    StatusCode.Code code = code(error);
    return code == null || !NEEDS_A_PERSON.contains(code);
  }

  /** A one-line description: the status code and the service's message. */
  static String describe(Throwable error) {
    Throwable cause = unwrap(error);
    StatusCode.Code code = code(cause);
    String message =
        cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return code == null || message.startsWith(code.name()) ? message : code + ": " + message;
  }

  /**
   * The fix for a failure that retrying will not cure, or {@code null} when there is no specific
   * one.
   */
  static @Nullable String fixFor(Throwable error, String topic) {
    StatusCode.Code code = code(error);
    if (code == null) {
      return null;
    }
    switch (code) {
      case NOT_FOUND:
        return "create the topic (gcloud pubsub topics create "
            + topicId(topic)
            + " --project="
            + projectId(topic)
            + "), or call createTopicIfMissing(true) during development";
      case PERMISSION_DENIED:
        return "grant the pipeline's credentials roles/pubsub.publisher on the topic (and roles/pubsub.viewer"
            + " for the start-up check)";
      case UNAUTHENTICATED:
        return "check the credentials: set GOOGLE_APPLICATION_CREDENTIALS, run"
            + " 'gcloud auth application-default login', or pass credentials(...)";
      case INVALID_ARGUMENT:
        return "check the project id and topic name: " + topic;
      default:
        return null;
    }
  }

  private static String projectId(String topic) {
    String[] parts = topic.split("/");
    return parts.length == 4 ? parts[1] : "PROJECT";
  }

  private static String topicId(String topic) {
    String[] parts = topic.split("/");
    return parts.length == 4 ? parts[3] : topic;
  }
}
