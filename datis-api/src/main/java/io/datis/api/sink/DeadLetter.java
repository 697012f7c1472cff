package io.datis.api.sink;

import io.datis.api.event.ChangeEvent;
import java.time.Instant;
import java.util.Objects;

/**
 * An event the pipeline could not process, with why: what a {@link DeadLetterSink} receives under
 * {@code ErrorPolicy.deadLetter(...)}.
 *
 * <pre>{@code
 * DeadLetterSink log = letter -> {
 *   System.err.println(letter.stage() + " failed on " + letter.event().table() + " at "
 *       + letter.event().position() + ": " + letter.reason());
 *   return CompletableFuture.completedFuture(null);
 * };
 * }</pre>
 */
public final class DeadLetter {

  /** Where the event failed. */
  public enum Stage {
    /** A transform threw or broke its contract; the event is as captured, before any transform. */
    TRANSFORM,
    /** The sink reported the event undeliverable; the event is the one handed to the sink. */
    SINK
  }

  private final ChangeEvent event;
  private final Stage stage;
  private final String reason;
  private final String errorType;
  private final Instant failedAt;

  /**
   * Creates a dead letter.
   *
   * @param event the event that failed
   * @param stage where it failed
   * @param reason the error's message, which names the problem but holds no row values
   * @param errorType the class name of the error
   * @param failedAt when it failed
   */
  public DeadLetter(
      ChangeEvent event, Stage stage, String reason, String errorType, Instant failedAt) {
    this.event = Objects.requireNonNull(event, "event");
    this.stage = Objects.requireNonNull(stage, "stage");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.errorType = Objects.requireNonNull(errorType, "errorType");
    this.failedAt = Objects.requireNonNull(failedAt, "failedAt");
  }

  /** The event that failed, with its values. */
  public ChangeEvent event() {
    return event;
  }

  /** Where it failed. */
  public Stage stage() {
    return stage;
  }

  /** Why, without row values: the message of the transform's or sink's error. */
  public String reason() {
    return reason;
  }

  /** The class name of the error, such as {@code io.datis.pubsub.MessageTooLargeException}. */
  public String errorType() {
    return errorType;
  }

  /** When the pipeline gave up on the event. */
  public Instant failedAt() {
    return failedAt;
  }

  /** Describes the letter by stage, event and reason, without row values. */
  @Override
  public String toString() {
    return "DeadLetter{"
        + stage
        + " "
        + event.operation()
        + " "
        + event.table()
        + " at "
        + event.position()
        + ": "
        + reason
        + "}";
  }
}
