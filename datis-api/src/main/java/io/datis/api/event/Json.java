package io.datis.api.event;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The text of a {@code json} or {@code jsonb} value, kept apart from plain strings so that sinks
 * can embed it as JSON rather than quote it. The text is exactly what PostgreSQL sent (for {@code
 * jsonb}, PostgreSQL's normalized form).
 */
public final class Json {

  private final String text;

  private Json(String text) {
    this.text = text;
  }

  /** Wraps JSON text; it is not parsed or validated. */
  public static Json of(String text) {
    return new Json(Objects.requireNonNull(text, "text"));
  }

  /** The JSON text. */
  public String text() {
    return text;
  }

  /** Returns the JSON text. */
  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Json && ((Json) o).text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
