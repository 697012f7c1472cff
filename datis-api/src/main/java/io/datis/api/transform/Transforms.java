package io.datis.api.transform;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Ready-made {@link Transform}s for the common cases. Each has a readable {@link Transform#name()}
 * for errors and logs.
 *
 * <pre>{@code
 * Datis.capture(pg)
 *     .tables("public.users", "public.orders")
 *     .transform(Transforms.filter(e -> e.operation() != Operation.SNAPSHOT_READ))
 *     .transform(Transforms.forTables(Transforms.hashColumns("email"), "public.users"))
 *     .transform(Transforms.dropColumns("internal_notes"))
 *     .transform(Transforms.route(e -> "cdc." + e.table().table()))
 *     ...
 * }</pre>
 */
public final class Transforms {

  private Transforms() {}

  /** Gives a transform (typically a lambda) a name for errors and logs. */
  public static Transform named(String name, Transform transform) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(transform, "transform");
    return new NamedTransform(name, transform::apply);
  }

  /** Keeps the events that match the predicate and drops the others. */
  public static Transform filter(Predicate<ChangeEvent> keepWhen) {
    Objects.requireNonNull(keepWhen, "keepWhen");
    return new NamedTransform(
        "filter", event -> keepWhen.test(event) ? TransformResult.keep() : TransformResult.drop());
  }

  /**
   * Applies a transform to the events of the given tables only ({@code schema.table} names); events
   * of other tables pass unchanged.
   */
  public static Transform forTables(Transform transform, String... tables) {
    Objects.requireNonNull(transform, "transform");
    Set<TableId> ids = parseTables(tables);
    return new NamedTransform(
        transform.name() + " for " + ids,
        event -> ids.contains(event.table()) ? transform.apply(event) : TransformResult.keep());
  }

  /**
   * Removes the named columns from both row images of every event that has them (and from its key
   * columns, if one of them is a key column).
   */
  public static Transform dropColumns(String... columns) {
    Set<String> names = columnSet(columns);
    return new NamedTransform(
        "dropColumns" + names,
        event -> {
          if (!touchesAny(event, names)) {
            return TransformResult.keep();
          }
          List<String> key = new ArrayList<>(event.keyColumns());
          key.removeAll(names);
          return TransformResult.replace(
              event.toBuilder()
                  .keyColumns(key)
                  .before(withoutColumns(event.before().orElse(null), names))
                  .after(withoutColumns(event.after().orElse(null), names))
                  .build());
        });
  }

  /**
   * Replaces the values of the named columns, in both row images, with {@code masker}'s result. SQL
   * {@code NULL} and {@link Unchanged#VALUE} are passed through without calling the masker.
   */
  public static Transform maskColumns(UnaryOperator<Object> masker, String... columns) {
    Objects.requireNonNull(masker, "masker");
    Set<String> names = columnSet(columns);
    return new NamedTransform(
        "maskColumns" + names,
        event -> {
          if (!touchesAny(event, names)) {
            return TransformResult.keep();
          }
          return TransformResult.replace(
              event.toBuilder()
                  .before(masked(event.before().orElse(null), names, masker))
                  .after(masked(event.after().orElse(null), names, masker))
                  .build());
        });
  }

  /**
   * Replaces the values of the named columns with the lower-case hex SHA-256 of the value (of its
   * bytes for {@code bytea}, of its text form otherwise), so equal values stay joinable without
   * being readable. For low-entropy values such as e-mail addresses prefer a keyed hash (HMAC)
   * through {@link #maskColumns(UnaryOperator, String...)}, since a plain hash can be reversed by
   * guessing.
   */
  public static Transform hashColumns(String... columns) {
    Transform masking = maskColumns(Transforms::sha256Hex, columns);
    return new NamedTransform("hashColumns" + columnSet(columns), masking::apply);
  }

  /** Sets the same destination on every event (for sinks that route, such as Pub/Sub topics). */
  public static Transform destination(String destination) {
    Objects.requireNonNull(destination, "destination");
    return new NamedTransform(
        "destination(" + destination + ")",
        event -> TransformResult.replace(event.toBuilder().destination(destination).build()));
  }

  /** Sets a destination computed from each event, for example one per table. */
  public static Transform route(Function<ChangeEvent, String> destination) {
    Objects.requireNonNull(destination, "destination");
    return new NamedTransform(
        "route",
        event -> {
          String chosen = destination.apply(event);
          if (chosen == null) {
            throw new IllegalStateException("the routing function returned null");
          }
          return TransformResult.replace(event.toBuilder().destination(chosen).build());
        });
  }

  private static String sha256Hex(Object value) {
    byte[] bytes =
        value instanceof byte[]
            ? (byte[]) value
            : String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
  }

  private static boolean touchesAny(ChangeEvent event, Set<String> columns) {
    Map<String, @Nullable Object> image = event.after().or(event::before).orElse(null);
    if (image == null) {
      return false;
    }
    for (String column : columns) {
      if (image.containsKey(column)) {
        return true;
      }
    }
    return false;
  }

  private static @Nullable Map<String, @Nullable Object> withoutColumns(
      @Nullable Map<String, @Nullable Object> row, Set<String> columns) {
    if (row == null) {
      return null;
    }
    Map<String, @Nullable Object> copy = new LinkedHashMap<>(row);
    copy.keySet().removeAll(columns);
    return copy;
  }

  private static @Nullable Map<String, @Nullable Object> masked(
      @Nullable Map<String, @Nullable Object> row,
      Set<String> columns,
      UnaryOperator<Object> masker) {
    if (row == null) {
      return null;
    }
    Map<String, @Nullable Object> copy = new LinkedHashMap<>(row);
    for (String column : columns) {
      Object value = copy.get(column);
      if (value != null && value != Unchanged.VALUE) {
        copy.put(column, masker.apply(value));
      }
    }
    return copy;
  }

  private static Set<String> columnSet(String... columns) {
    Objects.requireNonNull(columns, "columns");
    if (columns.length == 0) {
      throw new IllegalArgumentException("name at least one column");
    }
    return java.util.Collections.unmodifiableSet(
        new java.util.LinkedHashSet<>(Arrays.asList(columns)));
  }

  private static Set<TableId> parseTables(String... tables) {
    Objects.requireNonNull(tables, "tables");
    if (tables.length == 0) {
      throw new IllegalArgumentException("name at least one table, e.g. \"public.orders\"");
    }
    Set<TableId> ids = new java.util.LinkedHashSet<>();
    for (String table : tables) {
      ids.add(TableId.parse(table));
    }
    return java.util.Collections.unmodifiableSet(ids);
  }

  /** A transform with a fixed name, for readable errors. */
  private static final class NamedTransform implements Transform {
    private final String name;
    private final Transform body;

    NamedTransform(String name, Transform body) {
      this.name = name;
      this.body = body;
    }

    @Override
    public TransformResult apply(ChangeEvent event) throws Exception {
      return body.apply(event);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
