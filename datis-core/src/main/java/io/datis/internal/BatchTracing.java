package io.datis.internal;

import io.datis.api.event.ChangeEvent;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Traces each batch the pipeline hands to its sink: a span from the hand-over to the sink's answer,
 * whose W3C trace context the batch's events carry ({@link ChangeEvent#traceParent()}). Kept free
 * of OpenTelemetry's types, which are optional: {@link OpenTelemetryTracing} is loaded only for a
 * pipeline that traces.
 *
 * <p>Not supported API: public for {@code PipelineBuilder} only.
 */
public interface BatchTracing {

  /** No tracing: the batch goes as it is. */
  BatchTracing OFF = batch -> TracedBatch.untraced(batch);

  /** Starts the span of a batch about to be handed to the sink. */
  TracedBatch start(List<ChangeEvent> batch);

  /** One batch's span. */
  interface TracedBatch {

    /** The batch's events, carrying the span's trace context when it has one. */
    List<ChangeEvent> events();

    /** Calls the sink with the span current, so that what the sink traces is part of it. */
    <T> T inSpan(Supplier<T> call);

    /** Ends the span with the sink's answer: delivered, or {@code failure}. */
    void end(@Nullable Throwable failure);

    static TracedBatch untraced(List<ChangeEvent> batch) {
      return new TracedBatch() {
        @Override
        public List<ChangeEvent> events() {
          return batch;
        }

        @Override
        public <T> T inSpan(Supplier<T> call) {
          return call.get();
        }

        @Override
        public void end(@Nullable Throwable failure) {}
      };
    }
  }
}
