package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tracing with OpenTelemetry's SDK: a span per batch handed to the sink, ended by the sink's
 * answer, whose trace context every event of the batch carries.
 */
class TracingTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

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

  @BeforeEach
  void forgetSpans() {
    spans.reset();
  }

  @Test
  void eachBatchIsASpanEndedByTheSinkWhoseContextItsEventsCarry() {
    pg.execute("CREATE TABLE public.traced (id int PRIMARY KEY, item text)");
    InMemorySink sink = new InMemorySink().stallNext(1);
    try (Pipeline pipeline = traced("traced", "public.traced", sink)) {
      pg.execute("INSERT INTO traced SELECT g, 'item' FROM generate_series(1, 3) g");
      await().atMost(TIMEOUT).until(() -> sink.stalledBatches() == 1);
      assertThat(spans.getFinishedSpanItems()).as("spans before the sink answered").isEmpty();

      sink.releaseStalled();
      List<ChangeEvent> events = sink.awaitEvents(3, TIMEOUT);
      // Debezium may hand the transaction over in more than one batch: a span each.
      await()
          .atMost(TIMEOUT)
          .until(
              () -> events.stream().allMatch(e -> spanOf(e.traceParent().orElseThrow()) != null));

      SpanData span = spanOf(events.get(0).traceParent().orElseThrow());
      List<ChangeEvent> itsEvents =
          events.stream()
              .filter(e -> e.traceParent().orElseThrow().contains(span.getSpanId()))
              .toList();
      assertThat(span.getName()).isEqualTo("datis deliver traced");
      assertThat(span.getKind()).isEqualTo(SpanKind.PRODUCER);
      assertThat(span.getParentSpanContext().isValid()).isFalse();
      assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
      assertThat(span.getAttributes().get(AttributeKey.stringKey("datis.pipeline")))
          .isEqualTo("traced");
      assertThat(span.getAttributes().get(AttributeKey.longKey("messaging.batch.message_count")))
          .isEqualTo((long) itsEvents.size());
      assertThat(span.getAttributes().get(AttributeKey.longKey("datis.transaction.first_id")))
          .isEqualTo(events.get(0).position().transactionId());
      assertThat(span.getAttributes().get(AttributeKey.stringKey("datis.lsn.first")))
          .isEqualTo(events.get(0).position().lsnText());
      assertThat(span.getAttributes().get(AttributeKey.stringKey("datis.lsn.last")))
          .isEqualTo(itsEvents.get(itsEvents.size() - 1).position().lsnText());
      assertThat(events.get(0).traceParent())
          .contains(
              "00-"
                  + span.getTraceId()
                  + "-"
                  + span.getSpanId()
                  + "-"
                  + span.getSpanContext().getTraceFlags().asHex());
    }
  }

  @Test
  void aBatchTheSinkFailsEndsItsSpanWithTheError() throws Exception {
    pg.execute("CREATE TABLE public.refused (id int PRIMARY KEY)");
    InMemorySink sink = new InMemorySink().failNext(1);
    try (Pipeline pipeline = traced("refused", "public.refused", sink)) {
      pg.execute("INSERT INTO refused VALUES (1)");
      assertThatThrownBy(() -> pipeline.awaitTermination(TIMEOUT))
          .isInstanceOf(SinkException.class);
    }
    await().atMost(TIMEOUT).until(() -> spans.getFinishedSpanItems().size() == 1);
    SpanData failed = spans.getFinishedSpanItems().get(0);
    assertThat(failed.getName()).isEqualTo("datis deliver refused");
    assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(failed.getEvents()).extracting(EventData::getName).contains("exception");
  }

  @Test
  void withoutTracingEventsCarryNoTraceContext() {
    pg.execute("CREATE TABLE public.untraced (id int PRIMARY KEY)");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("untraced")
            .tables("public.untraced")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .to(sink)
            .start()) {
      pg.execute("INSERT INTO untraced VALUES (1)");
      assertThat(sink.awaitEvents(1, TIMEOUT).get(0).traceParent()).isEmpty();
    }
    assertThat(spans.getFinishedSpanItems()).isEmpty();
  }

  /** The finished span whose context {@code traceParent} names, or {@code null}. */
  private static SpanData spanOf(String traceParent) {
    return spans.getFinishedSpanItems().stream()
        .filter(
            s ->
                traceParent.equals(
                    "00-"
                        + s.getTraceId()
                        + "-"
                        + s.getSpanId()
                        + "-"
                        + s.getSpanContext().getTraceFlags().asHex()))
        .findFirst()
        .orElse(null);
  }

  private static Pipeline traced(String name, String table, InMemorySink sink) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(table)
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory())
        .tracing(openTelemetry)
        .to(sink)
        .start();
  }
}
