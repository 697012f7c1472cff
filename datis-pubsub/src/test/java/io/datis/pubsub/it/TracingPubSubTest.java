package io.datis.pubsub.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A traced pipeline's messages carry the trace context where Pub/Sub's client library looks for it:
 * a real Subscriber with the library's OpenTelemetry tracing on continues Datis's trace.
 */
class TracingPubSubTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-test";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static final OpenTelemetrySdk openTelemetry =
      OpenTelemetrySdk.builder()
          .setTracerProvider(
              SdkTracerProvider.builder()
                  .addSpanProcessor(SimpleSpanProcessor.create(spans))
                  .build())
          .build();

  @AfterAll
  static void closeSdk() {
    openTelemetry.close();
  }

  @Test
  void aTracedSubscriberContinuesTheTraceOfTheDeliveryThatPublishedTheMessage() throws Exception {
    pubsub.createTopic(PROJECT, "traced");
    pg.execute("CREATE TABLE public.shipments (id int PRIMARY KEY, status text)");
    try (Subscription subscription =
            Subscription.traced(pubsub, PROJECT, "traced", "traced-sub", openTelemetry);
        Pipeline pipeline =
            Datis.capture(pg.source())
                .name("shipments")
                .tables("public.shipments")
                .snapshot(SnapshotMode.CHANGES_ONLY)
                .offsets(OffsetStore.inMemory())
                .tracing(openTelemetry)
                .to(PubSubSink.builder(PROJECT, "traced").emulator(pubsub.hostPort()).build())
                .start()) {
      pg.execute("INSERT INTO shipments VALUES (1, 'packed')");

      PubsubMessage message = subscription.await(m -> !m.isEmpty(), TIMEOUT).get(0);
      await()
          .atMost(TIMEOUT)
          .until(() -> span("datis deliver shipments") != null && consumerSpan() != null);

      SpanData delivery = span("datis deliver shipments");
      assertThat(message.getAttributesMap())
          .containsEntry(
              "googclient_traceparent",
              "00-"
                  + delivery.getTraceId()
                  + "-"
                  + delivery.getSpanId()
                  + "-"
                  + delivery.getSpanContext().getTraceFlags().asHex());
      SpanData received = consumerSpan();
      assertThat(received.getTraceId()).isEqualTo(delivery.getTraceId());
      assertThat(received.getParentSpanId()).isEqualTo(delivery.getSpanId());
    }
  }

  private static SpanData span(String name) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElse(null);
  }

  /** The subscriber library's span for the message it received. */
  private static SpanData consumerSpan() {
    List<SpanData> consumers =
        spans.getFinishedSpanItems().stream()
            .filter(s -> s.getKind() == SpanKind.CONSUMER)
            .toList();
    return consumers.isEmpty() ? null : consumers.get(0);
  }
}
