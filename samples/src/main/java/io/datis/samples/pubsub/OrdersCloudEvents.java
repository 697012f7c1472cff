package io.datis.samples.pubsub;

import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.postgres.PostgresSource;
import io.datis.pubsub.MessageFormat;
import io.datis.pubsub.OrderingKeys;
import io.datis.pubsub.PubSubSink;

/**
 * A Pub/Sub pipeline for consumers that speak CloudEvents: each change is a binary-mode CloudEvent
 * ({@code ce-type = io.datis.change.update}, {@code ce-subject = public.orders}, the row as JSON
 * data), and ordering keys hash each row into one of 16 buckets per table, so every row's changes
 * arrive in order while the client batches many rows per request.
 *
 * <pre>{@code
 * try (Pipeline pipeline = OrdersCloudEvents.start(source, "my-project", null)) {
 *   pipeline.awaitTermination(); // returns when closed, throws if the pipeline fails
 * }
 * }</pre>
 *
 * <p>Its test ({@code OrdersCloudEventsTest}) runs it against an embedded PostgreSQL and the
 * testkit's local Pub/Sub server and reads the events back as a subscriber would.
 */
public final class OrdersCloudEvents {

  /** The topic the sample publishes to. */
  public static final String TOPIC = "orders-cloudevents";

  private OrdersCloudEvents() {}

  /**
   * Starts capturing {@code public.orders} to {@link #TOPIC} of {@code project}.
   *
   * @param emulatorHostPort a local Pub/Sub server or emulator, or {@code null} for Google Cloud
   *     with Application Default Credentials
   */
  public static Pipeline start(PostgresSource source, String project, String emulatorHostPort) {
    PubSubSink.Builder sink =
        PubSubSink.builder(project, TOPIC)
            .format(MessageFormat.cloudEventsBinary())
            .orderingKeys(OrderingKeys.tableAndKeyBucket(16));
    if (emulatorHostPort != null) {
      sink.emulator(emulatorHostPort);
    }
    return Datis.capture(source)
        .name("orders-cloudevents")
        .tables("public.orders")
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.postgres())
        .to(sink.build())
        .start();
  }
}
