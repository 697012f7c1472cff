package io.datis;

import io.datis.postgres.PostgresSource;
import java.util.Objects;

/**
 * Where every pipeline starts.
 *
 * <pre>{@code
 * try (Pipeline pipeline = Datis.capture(source)
 *     .name("orders")
 *     .tables("public.orders", "public.order_lines")
 *     .transform(Transforms.dropColumns("internal_notes"))
 *     .to(sink)
 *     .start()) {
 *   pipeline.awaitTermination(); // returns when closed, throws if the pipeline fails
 * }
 * }</pre>
 */
public final class Datis {

  private Datis() {}

  /** Starts describing a pipeline that captures changes from the given PostgreSQL database. */
  public static PipelineBuilder capture(PostgresSource source) {
    return new PipelineBuilder(Objects.requireNonNull(source, "source"));
  }
}
