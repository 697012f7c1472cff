package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs a {@link Transform} on one event, as a pipeline would, for unit tests of transforms:
 *
 * <pre>{@code
 * ChangeEvent masked = TransformOutput.of(new EmailMasking(), event).orElseThrow();
 * assertThat(TransformOutput.of(Transforms.filter(e -> false), event)).isEmpty();
 * }</pre>
 */
public final class TransformOutput {

  private TransformOutput() {}

  /**
   * The event the transform passes on: the event itself when kept, its replacement when replaced,
   * empty when dropped.
   *
   * @throws Exception what the transform throws, which a pipeline reports as a transform failure
   * @throws IllegalStateException if the transform returns {@code null}, also a transform failure
   */
  public static Optional<ChangeEvent> of(Transform transform, ChangeEvent event) throws Exception {
    Objects.requireNonNull(transform, "transform");
    Objects.requireNonNull(event, "event");
    TransformResult result = transform.apply(event);
    if (result == null) {
      throw new IllegalStateException(
          transform
              + " returned null; return TransformResult.keep(), replace(event) or drop() instead");
    }
    if (result.isDrop()) {
      return Optional.empty();
    }
    return Optional.of(result.replacement().orElse(event));
  }
}
