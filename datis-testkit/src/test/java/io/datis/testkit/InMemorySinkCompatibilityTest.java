package io.datis.testkit;

import io.datis.api.sink.Sink;
import java.util.List;
import java.util.stream.Collectors;

/** {@link InMemorySink} passes the sink compatibility kit. */
class InMemorySinkCompatibilityTest extends SinkCompatibilityKit {

  private InMemorySink sink = new InMemorySink();

  @Override
  protected Sink createSink() {
    sink = new InMemorySink();
    return sink;
  }

  @Override
  protected List<DeliveredEvent> delivered() {
    return sink.events().stream().map(DeliveredEvent::of).collect(Collectors.toList());
  }

  @Override
  protected void makeDestinationFail() {
    sink.failAfter(0);
  }
}
