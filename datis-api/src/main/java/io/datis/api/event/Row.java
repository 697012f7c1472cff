package io.datis.api.event;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable row image: column names in table order, each with its value ({@code null} for SQL
 * NULL). This is the {@link Map} that {@link ChangeEvent#before()} and {@link ChangeEvent#after()}
 * return. Rows of one table share their {@link Columns}, so a row costs little more than its
 * values.
 *
 * <pre>{@code
 * Row.Columns columns = Row.Columns.of(List.of("id", "status"));
 * Row row = columns.row(10, "paid");
 * }</pre>
 */
public final class Row extends AbstractMap<String, @Nullable Object> {

  /** The column names of rows of one shape, shared between those rows. */
  public static final class Columns {
    private static final int LINEAR_SEARCH_LIMIT = 8;

    private final String[] names;
    private final @Nullable Map<String, Integer> index;

    private Columns(String[] names) {
      this.names = names;
      if (names.length > LINEAR_SEARCH_LIMIT) {
        Map<String, Integer> positions = new HashMap<>(names.length * 2);
        for (int i = 0; i < names.length; i++) {
          positions.putIfAbsent(names[i], i);
        }
        this.index = positions;
      } else {
        this.index = null;
      }
    }

    /** Columns with the given names, in order; names must be distinct. */
    public static Columns of(List<String> names) {
      String[] copy = names.toArray(new String[0]);
      for (int i = 0; i < copy.length; i++) {
        Objects.requireNonNull(copy[i], "column name");
        for (int j = 0; j < i; j++) {
          if (copy[j].equals(copy[i])) {
            throw new IllegalArgumentException("Duplicate column name '" + copy[i] + "'");
          }
        }
      }
      return new Columns(copy);
    }

    /** A row of these columns with the given values, one per column, in order. */
    public Row row(@Nullable Object... values) {
      if (values.length != names.length) {
        throw new IllegalArgumentException(
            "A row of "
                + names.length
                + " columns needs "
                + names.length
                + " values, not "
                + values.length);
      }
      return new Row(this, values.clone());
    }

    int indexOf(@Nullable Object name) {
      if (index != null) {
        Integer position = index.get(name);
        return position == null ? -1 : position;
      }
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(name)) {
          return i;
        }
      }
      return -1;
    }
  }

  private final Columns columns;
  private final @Nullable Object[] values;

  private Row(Columns columns, @Nullable Object[] values) {
    this.columns = columns;
    this.values = values;
  }

  /** An immutable copy of a map of column name to value, keeping its iteration order. */
  public static Row copyOf(Map<String, ? extends @Nullable Object> row) {
    if (row instanceof Row) {
      return (Row) row;
    }
    String[] names = new String[row.size()];
    Object[] values = new Object[row.size()];
    int i = 0;
    for (Map.Entry<String, ? extends @Nullable Object> column : row.entrySet()) {
      names[i] = Objects.requireNonNull(column.getKey(), "column name");
      values[i] = column.getValue();
      i++;
    }
    return new Row(new Columns(names), values);
  }

  @Override
  public int size() {
    return values.length;
  }

  @Override
  public boolean containsKey(@Nullable Object column) {
    return columns.indexOf(column) >= 0;
  }

  @Override
  public @Nullable Object get(@Nullable Object column) {
    int i = columns.indexOf(column);
    return i < 0 ? null : values[i];
  }

  @Override
  public Set<Map.Entry<String, @Nullable Object>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public int size() {
        return values.length;
      }

      @Override
      public Iterator<Map.Entry<String, @Nullable Object>> iterator() {
        return new Iterator<>() {
          private int next;

          @Override
          public boolean hasNext() {
            return next < values.length;
          }

          @Override
          public Map.Entry<String, @Nullable Object> next() {
            if (next >= values.length) {
              throw new NoSuchElementException();
            }
            int i = next++;
            return new SimpleImmutableEntry<>(columns.names[i], values[i]);
          }
        };
      }
    };
  }
}
