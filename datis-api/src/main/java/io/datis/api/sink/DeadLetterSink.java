package io.datis.api.sink;

import java.util.concurrent.CompletionStage;

/**
 * Where a pipeline with {@code ErrorPolicy.deadLetter(...)} sends the events it cannot process (a
 * transform failed on them, or the sink reported them undeliverable), each with the reason.
 *
 * <p>The contract follows {@link Sink}'s: {@link #deliver} starts the work and returns a stage that
 * completes once the letter is durably stored; the pipeline commits past the event only then. If
 * the stage fails, the pipeline stops (a dead letter is never dropped), and the event is processed
 * again at the next start. Calls come from one thread at a time.
 *
 * <pre>{@code
 * DeadLetterSink deadLetters = letter -> {
 *   store.save(letter.event(), letter.stage(), letter.reason()); // your own durable storage
 *   return CompletableFuture.completedFuture(null);
 * };
 * Datis.capture(source).tables("public.orders")
 *     .errorPolicy(ErrorPolicy.deadLetter(deadLetters))
 *     .to(sink)
 *     .start();
 * }</pre>
 *
 * <p>{@code PubSubSink} is also a dead-letter sink: a second one, for another topic, publishes each
 * letter with its reason in attributes.
 */
@FunctionalInterface
public interface DeadLetterSink extends AutoCloseable {

  /**
   * Called when the pipeline starts capturing, before the first {@link #deliver}; throw to refuse
   * to start. Like {@link Sink#open}, it may follow a {@link #close} when the pipeline becomes the
   * active instance again. The default does nothing.
   */
  default void open(SinkContext context) throws Exception {}

  /**
   * Starts storing one dead letter.
   *
   * @return a stage that completes normally once the letter is durably stored
   */
  CompletionStage<Void> deliver(DeadLetter letter);

  /**
   * Called when the pipeline stops, or stops being the active instance. The default does nothing.
   */
  @Override
  default void close() throws Exception {}
}
