package io.datis.bench;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario 3t's OpenTelemetry: the SDK as an application would set it up (every span sampled, a
 * batch span processor), exporting to an exporter that only counts, so that the cost measured is
 * Datis's and the SDK's, not a collector's network round trips.
 */
final class TracingSdk implements AutoCloseable {

  private final AtomicLong exported = new AtomicLong();
  private final OpenTelemetrySdk sdk;

  TracingSdk() {
    SpanExporter counting =
        new SpanExporter() {
          @Override
          public CompletableResultCode export(Collection<SpanData> spans) {
            exported.addAndGet(spans.size());
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
          }

          @Override
          public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
          }
        };
    sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .setSampler(Sampler.alwaysOn())
                    .addSpanProcessor(BatchSpanProcessor.builder(counting).build())
                    .build())
            .build();
  }

  OpenTelemetry openTelemetry() {
    return sdk;
  }

  /** Spans exported so far; all of them once closed. */
  long exportedSpans() {
    return exported.get();
  }

  @Override
  public void close() {
    sdk.close();
  }
}
