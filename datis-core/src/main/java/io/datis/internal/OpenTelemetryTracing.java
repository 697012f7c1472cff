package io.datis.internal;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Position;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@link BatchTracing} with OpenTelemetry: one {@code PRODUCER} span per batch, a new trace each,
 * named {@code datis deliver <pipeline>}, from the hand-over to the sink until the sink delivered
 * the batch or failed; its attributes tie it to the database: the first and last transaction ids
 * and LSNs of the batch. A span per batch rather than per event: the cost stays off the per-event
 * path (one {@code withTraceParent} copy per event), and the span's length is the sink's delivery
 * time.
 *
 * <p>Not supported API: public for {@code PipelineBuilder} only.
 */
public final class OpenTelemetryTracing implements BatchTracing {

  static final String INSTRUMENTATION = "io.datis";

  static final AttributeKey<String> PIPELINE = AttributeKey.stringKey("datis.pipeline");
  static final AttributeKey<Long> EVENTS = AttributeKey.longKey("messaging.batch.message_count");
  static final AttributeKey<String> DATABASE = AttributeKey.stringKey("db.system.name");
  static final AttributeKey<Long> FIRST_TRANSACTION =
      AttributeKey.longKey("datis.transaction.first_id");
  static final AttributeKey<Long> LAST_TRANSACTION =
      AttributeKey.longKey("datis.transaction.last_id");
  static final AttributeKey<String> FIRST_LSN = AttributeKey.stringKey("datis.lsn.first");
  static final AttributeKey<String> LAST_LSN = AttributeKey.stringKey("datis.lsn.last");

  private final Tracer tracer;
  private final String spanName;
  private final Attributes common;

  /** The tracing of pipeline {@code pipeline} with {@code openTelemetry}'s tracer. */
  public static BatchTracing of(OpenTelemetry openTelemetry, String pipeline) {
    return new OpenTelemetryTracing(openTelemetry, pipeline);
  }

  private OpenTelemetryTracing(OpenTelemetry openTelemetry, String pipeline) {
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
    this.spanName = "datis deliver " + pipeline;
    this.common = Attributes.of(PIPELINE, pipeline, DATABASE, "postgresql");
  }

  @Override
  public TracedBatch start(List<ChangeEvent> batch) {
    if (batch.isEmpty()) {
      return TracedBatch.untraced(batch);
    }
    Position first = batch.get(0).position();
    Position last = batch.get(batch.size() - 1).position();
    Span span =
        tracer
            .spanBuilder(spanName)
            .setNoParent()
            .setSpanKind(SpanKind.PRODUCER)
            .setAllAttributes(common)
            .setAttribute(EVENTS, (long) batch.size())
            .setAttribute(FIRST_TRANSACTION, first.transactionId())
            .setAttribute(LAST_TRANSACTION, last.transactionId())
            .setAttribute(FIRST_LSN, first.lsnText())
            .setAttribute(LAST_LSN, last.lsnText())
            .startSpan();
    SpanContext context = span.getSpanContext();
    if (!context.isValid()) {
      return TracedBatch.untraced(batch); // a no-op OpenTelemetry
    }
    String traceParent =
        "00-"
            + context.getTraceId()
            + "-"
            + context.getSpanId()
            + "-"
            + context.getTraceFlags().asHex();
    List<ChangeEvent> traced = new ArrayList<>(batch.size());
    for (ChangeEvent event : batch) {
      traced.add(event.withTraceParent(traceParent));
    }
    return new Traced(span, Collections.unmodifiableList(traced));
  }

  private static final class Traced implements TracedBatch {
    private final Span span;
    private final List<ChangeEvent> events;

    Traced(Span span, List<ChangeEvent> events) {
      this.span = span;
      this.events = events;
    }

    @Override
    public List<ChangeEvent> events() {
      return events;
    }

    @Override
    public <T> T inSpan(Supplier<T> call) {
      try (Scope ignored = Context.current().with(span).makeCurrent()) {
        return call.get();
      }
    }

    @Override
    public void end(@Nullable Throwable failure) {
      if (failure != null) {
        span.recordException(Completions.cause(failure));
        span.setStatus(StatusCode.ERROR, "the sink failed to deliver the batch");
      }
      span.end();
    }
  }
}
