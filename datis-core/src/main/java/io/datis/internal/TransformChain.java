package io.datis.internal;

import io.datis.api.TransformException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Runs the pipeline's transforms in the order they were added, enforcing their contract: a
 * transform that throws or returns {@code null} stops the pipeline with an error naming it and the
 * event's position, never the event's values.
 */
final class TransformChain {

  private final List<Transform> transforms;

  TransformChain(List<Transform> transforms) {
    this.transforms = List.copyOf(transforms);
  }

  /** The transformed event, or {@code null} when a transform dropped it. */
  @Nullable ChangeEvent apply(ChangeEvent event) {
    ChangeEvent current = event;
    for (int i = 0; i < transforms.size(); i++) {
      Transform transform = transforms.get(i);
      TransformResult result;
      try {
        result = transform.apply(current);
      } catch (Exception | LinkageError e) {
        throw failure(
            i,
            transform,
            current,
            "threw " + e.getClass().getName() + " (the cause holds its message)",
            e);
      }
      if (result == null) {
        throw failure(
            i,
            transform,
            current,
            "returned null; return TransformResult.keep(), replace(event) or drop() instead",
            null);
      }
      if (result.isDrop()) {
        return null;
      }
      current = result.replacement().orElse(current);
    }
    return current;
  }

  private TransformException failure(
      int index, Transform transform, ChangeEvent event, String what, @Nullable Throwable cause) {
    String name = safeName(transform);
    String message =
        "Transform #"
            + (index + 1)
            + " '"
            + name
            + "' failed on "
            + event.operation()
            + " of "
            + event.table()
            + " at "
            + event.position()
            + ": it "
            + what;
    return new TransformException(message, name, event.table(), event.position(), cause);
  }

  private static String safeName(Transform transform) {
    try {
      return transform.name();
    } catch (RuntimeException e) {
      return transform.getClass().getName();
    }
  }
}
