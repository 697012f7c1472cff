package io.datis.api.transform;

import io.datis.api.event.ChangeEvent;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link Transform} decided: keep the event, replace it, or drop it. To test a transform,
 * the testkit's {@code TransformOutput.of(transform, event)} gives the event it passes on.
 */
public final class TransformResult {

  private static final TransformResult KEEP = new TransformResult(null, false);
  private static final TransformResult DROP = new TransformResult(null, true);

  private final @Nullable ChangeEvent replacement;
  private final boolean drop;

  private TransformResult(@Nullable ChangeEvent replacement, boolean drop) {
    this.replacement = replacement;
    this.drop = drop;
  }

  /** Pass the event on unchanged. */
  public static TransformResult keep() {
    return KEEP;
  }

  /** Pass this event on instead of the one given to the transform. */
  public static TransformResult replace(ChangeEvent replacement) {
    return new TransformResult(Objects.requireNonNull(replacement, "replacement"), false);
  }

  /**
   * Drop the event: later transforms and the sink do not see it, and its offset is still committed.
   */
  public static TransformResult drop() {
    return DROP;
  }

  /** Whether the event is dropped. */
  public boolean isDrop() {
    return drop;
  }

  /** The replacement event, when the transform replaced the event. */
  public Optional<ChangeEvent> replacement() {
    return Optional.ofNullable(replacement);
  }

  @Override
  public String toString() {
    return drop ? "drop" : replacement == null ? "keep" : "replace with " + replacement;
  }
}
