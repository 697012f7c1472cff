package io.datis;

import io.datis.api.sink.DeadLetterSink;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a pipeline does with an event it cannot process: a transform throws on it (or breaks its
 * contract), or the sink reports it undeliverable with an {@link
 * io.datis.api.UndeliverableEventException} (for example a message too large for Pub/Sub).
 *
 * <ul>
 *   <li>{@link #fail()}, the default: the pipeline stops with an error naming the event's table and
 *       position; nothing from that event on is committed, so after the fix a restart processes it
 *       again.
 *   <li>{@link #skip()}: the event is logged (table, position and reason; never its values),
 *       counted in {@code datis.events.skipped}, and committed past.
 *   <li>{@link #deadLetter(DeadLetterSink)}: the event goes, with the reason, to a dead-letter
 *       sink; the pipeline commits past it only once that sink has stored it.
 * </ul>
 *
 * <p>Sink outages are not poison events: a sink retries them itself (health DEGRADED meanwhile),
 * and any other sink failure stops the pipeline whatever the policy, so no event is ever lost
 * silently.
 *
 * <pre>{@code
 * Datis.capture(source).tables("public.orders")
 *     .transform(parseAddress)
 *     .errorPolicy(ErrorPolicy.deadLetter(PubSubSink.builder("my-project", "orders-dead-letters").build()))
 *     .to(PubSubSink.builder("my-project", "orders").build())
 *     .start();
 * }</pre>
 */
public final class ErrorPolicy {

  /** The three kinds of policy. */
  public enum Kind {
    /** Stop the pipeline. */
    FAIL,
    /** Log, count and commit past the event. */
    SKIP,
    /** Send the event to a dead-letter sink, then commit past it. */
    DEAD_LETTER
  }

  private static final ErrorPolicy FAIL = new ErrorPolicy(Kind.FAIL, null);
  private static final ErrorPolicy SKIP = new ErrorPolicy(Kind.SKIP, null);

  private final Kind kind;
  private final @Nullable DeadLetterSink deadLetterSink;

  private ErrorPolicy(Kind kind, @Nullable DeadLetterSink deadLetterSink) {
    this.kind = kind;
    this.deadLetterSink = deadLetterSink;
  }

  /** Stop the pipeline at the first event it cannot process: the default. */
  public static ErrorPolicy fail() {
    return FAIL;
  }

  /**
   * Log, count and commit past events that cannot be processed. They are not delivered anywhere.
   */
  public static ErrorPolicy skip() {
    return SKIP;
  }

  /**
   * Send events that cannot be processed, with the reason, to {@code sink}. The pipeline opens and
   * closes it with the main sink.
   */
  public static ErrorPolicy deadLetter(DeadLetterSink sink) {
    return new ErrorPolicy(Kind.DEAD_LETTER, Objects.requireNonNull(sink, "sink"));
  }

  /** Which policy this is. */
  public Kind kind() {
    return kind;
  }

  /** The dead-letter sink, for {@link Kind#DEAD_LETTER}. */
  public Optional<DeadLetterSink> deadLetterSink() {
    return Optional.ofNullable(deadLetterSink);
  }

  @Override
  public String toString() {
    return deadLetterSink == null
        ? "ErrorPolicy." + kind.name().toLowerCase(java.util.Locale.ROOT) + "()"
        : "ErrorPolicy.deadLetter(" + deadLetterSink.getClass().getName() + ")";
  }
}
