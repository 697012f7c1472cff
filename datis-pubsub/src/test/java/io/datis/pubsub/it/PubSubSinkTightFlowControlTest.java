package io.datis.pubsub.it;

import io.datis.pubsub.PubSubSink;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * The compatibility kit again, with one message outstanding at a time: every batch of more than one
 * event fills the sink's flow control, so its queued messages must be sent before it waits for
 * room, or the sink would wait for acknowledgements of messages it never sent (the timeout turns
 * such a hang into a failure).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PubSubSinkTightFlowControlTest extends PubSubSinkCompatibilityTest {

  @Override
  protected PubSubSink.Builder configure(PubSubSink.Builder sink) {
    return sink.flowControl(1, 10_000_000);
  }
}
