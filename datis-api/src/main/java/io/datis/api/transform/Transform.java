package io.datis.api.transform;

import io.datis.api.event.ChangeEvent;

/**
 * Looks at one change event and says what to do with it: keep it, replace it with another event, or
 * drop it. Transforms run in the order they were added to the pipeline, each on the result of the
 * previous one, on the pipeline's capture thread; they should be fast and must not block.
 *
 * <pre>{@code
 * Transform onlyPaid = event ->
 *     "paid".equals(event.after().map(row -> row.get("status")).orElse(null))
 *         ? TransformResult.keep()
 *         : TransformResult.drop();
 * }</pre>
 *
 * <p>A dropped event is still committed: it is not delivered again after a restart. If a transform
 * throws, the pipeline stops with a {@link io.datis.api.TransformException} naming the transform
 * (see {@link #name()}) and the event's position; nothing from that event on is committed.
 */
@FunctionalInterface
public interface Transform {

  /**
   * Decides what happens to one event.
   *
   * @param event the event, never {@code null}
   * @return what to do with it, never {@code null}
   * @throws Exception to stop the pipeline: the event cannot be processed
   */
  TransformResult apply(ChangeEvent event) throws Exception;

  /**
   * The name used in errors and logs. Defaults to the class name; lambdas can be given a readable
   * name with {@link Transforms#named(String, Transform)}.
   */
  default String name() {
    return getClass().getName();
  }
}
