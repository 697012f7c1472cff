package io.datis.pubsub.internal;

import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.pubsub.v1.GetTopicRequest;
import com.google.pubsub.v1.TopicName;
import io.datis.api.SinkException;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, when the sink opens, that a topic exists (creating it if so configured), so that a wrong
 * topic, project, permission or endpoint fails {@code start()} with its fix instead of the first
 * publish.
 */
final class TopicCheck {

  private static final Logger log = LoggerFactory.getLogger(TopicCheck.class);

  private final PubSubSettings settings;
  private final PubSubConnection connection;

  TopicCheck(PubSubSettings settings, PubSubConnection connection) {
    this.settings = settings;
    this.connection = connection;
  }

  /** Returns when the topic exists; throws {@link SinkException} naming the problem otherwise. */
  void require(TopicName topic) {
    try (TopicAdminClient admin = connection.topicAdmin()) {
      try {
        admin
            .getTopicCallable()
            .futureCall(GetTopicRequest.newBuilder().setTopic(topic.toString()).build())
            .get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        StatusCode.Code code = PubSubErrors.code(e);
        if (code == StatusCode.Code.NOT_FOUND && settings.createTopicIfMissing()) {
          admin.createTopic(topic);
          log.info("Created Pub/Sub topic {}", topic);
          return;
        }
        String fix = PubSubErrors.fixFor(e, topic.toString());
        if (code == StatusCode.Code.NOT_FOUND) {
          throw new SinkException(
              "Pub/Sub topic " + topic + " does not exist. Fix: " + fix, e.getCause());
        }
        if (PubSubErrors.isRetryable(e)) {
          throw unreachable(topic, PubSubErrors.describe(e), e.getCause());
        }
        throw new SinkException(
            "Pub/Sub rejected the check of topic "
                + topic
                + ": "
                + PubSubErrors.describe(e)
                + (fix == null ? "" : ". Fix: " + fix),
            e.getCause());
      } catch (TimeoutException e) {
        throw unreachable(
            topic, "no answer within " + settings.startTimeout().toSeconds() + " s", e);
      } finally {
        admin.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("Interrupted while checking Pub/Sub topic " + topic, e);
    } catch (IOException e) {
      throw new SinkException(
          "Cannot set up the Pub/Sub client: "
              + e.getMessage()
              + ". Fix: provide credentials (Application Default"
              + " Credentials, GOOGLE_APPLICATION_CREDENTIALS, or credentials(...)), or use emulator(...) for local tests",
          e);
    }
  }

  private SinkException unreachable(TopicName topic, String why, @Nullable Throwable cause) {
    return new SinkException(
        "Cannot reach Pub/Sub at "
            + settings.target().description()
            + " to check topic "
            + topic
            + ": "
            + why
            + ". Fix: check the endpoint (or PUBSUB_EMULATOR_HOST), the network and any proxy",
        cause);
  }
}
