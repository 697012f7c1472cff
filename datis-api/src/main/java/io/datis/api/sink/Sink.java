package io.datis.api.sink;

import io.datis.api.event.ChangeEvent;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Delivers change events somewhere: the extension point for Pub/Sub and your own destinations.
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li><b>Batches in, a completion out.</b> The pipeline calls {@link #deliver(List)} with a batch
 *       of events in commit order and gets back a {@link CompletionStage}. {@code deliver} should
 *       start the work and return promptly; it must not wait for the delivery to finish.
 *   <li><b>Completion means durable.</b> Complete the stage normally only once every event of the
 *       batch is delivered (acknowledged by the destination). The pipeline then may commit those
 *       events' offsets: they are not delivered again, even after a crash.
 *   <li><b>Several batches in flight.</b> The pipeline may call {@code deliver} again before
 *       earlier stages complete (up to its in-flight limit). Stages may complete in any order and
 *       on any thread; the pipeline commits only the contiguous prefix of completed batches. A sink
 *       that delivers batches concurrently must itself keep the order of changes to the same row,
 *       if its destination promises order.
 *   <li><b>One caller.</b> {@link #open}, {@link #deliver} and {@link #close} are called from one
 *       thread at a time, never concurrently with each other.
 *   <li><b>Failure.</b> Complete the stage exceptionally (or throw from {@code deliver}) when the
 *       batch cannot be delivered. The pipeline stops with a {@link io.datis.api.SinkException};
 *       every event not yet committed is delivered again when it restarts. Retry transient trouble
 *       (an unavailable destination) inside the sink instead, reporting it through {@link
 *       SinkContext#retrying}.
 *   <li><b>Poison events.</b> When one event can never be delivered (for example it is over the
 *       destination's size limit), throw {@link io.datis.api.UndeliverableEventException} from
 *       {@code deliver}, before handing anything after it to the destination: the pipeline's error
 *       policy then stops, skips the event or dead-letters it, and delivers the rest of the batch
 *       again.
 *   <li><b>At least once.</b> After a crash or a failure, a batch whose stage had not completed is
 *       delivered again, so a destination can see an event twice; never zero times.
 * </ul>
 *
 * <pre>{@code
 * class StdoutSink implements Sink {
 *   public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
 *     batch.forEach(System.out::println);
 *     return CompletableFuture.completedFuture(null);
 *   }
 * }
 * }</pre>
 */
public interface Sink extends AutoCloseable {

  /**
   * Called when the pipeline starts capturing, before the first {@link #deliver}. Throw to refuse
   * to start (for example when the destination does not exist); the message reaches the caller of
   * {@code start()}. A pipeline that runs as one of several replicas opens its sink each time it
   * becomes the active instance and closes it when it stops being so: {@code open} may follow a
   * {@link #close} of the same sink, and must then work as the first time did.
   */
  default void open(SinkContext context) throws Exception {}

  /**
   * Starts delivering a batch of one or more events, in commit order.
   *
   * @param batch an immutable, non-empty list
   * @return a stage that completes normally once every event in the batch is durably delivered
   */
  CompletionStage<Void> deliver(List<ChangeEvent> batch);

  /**
   * Called when the pipeline stops (or stops being the active instance), after it stopped waiting
   * for outstanding batches. Release resources here.
   */
  @Override
  default void close() throws Exception {}
}
