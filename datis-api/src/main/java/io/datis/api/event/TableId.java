package io.datis.api.event;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A schema-qualified table name, such as {@code public.orders}. */
public final class TableId implements Comparable<TableId> {

  private final String schema;
  private final String table;

  /** {@code schema.table}, built once: sinks name the table in every message. */
  private final String qualified;

  private TableId(String schema, String table) {
    this.schema = requireName(schema, "schema");
    this.table = requireName(table, "table");
    this.qualified = schema + '.' + table;
  }

  /** The table {@code schema.table}. */
  public static TableId of(String schema, String table) {
    return new TableId(schema, table);
  }

  /**
   * Parses {@code schema.table}. The name must be schema-qualified and contain exactly one dot;
   * quote nothing (names are taken literally, as stored in the PostgreSQL catalog).
   *
   * @throws IllegalArgumentException if the name is not of the form {@code schema.table}
   */
  public static TableId parse(String qualifiedName) {
    Objects.requireNonNull(qualifiedName, "qualifiedName");
    int dot = qualifiedName.indexOf('.');
    if (dot <= 0 || dot == qualifiedName.length() - 1 || qualifiedName.indexOf('.', dot + 1) >= 0) {
      throw new IllegalArgumentException(
          "Table name '"
              + qualifiedName
              + "' is not schema-qualified: write it as schema.table, e.g. 'public."
              + (dot < 0 ? qualifiedName : "orders")
              + "'");
    }
    return new TableId(qualifiedName.substring(0, dot), qualifiedName.substring(dot + 1));
  }

  /** The schema name, e.g. {@code public}. */
  public String schema() {
    return schema;
  }

  /** The table name without schema, e.g. {@code orders}. */
  public String table() {
    return table;
  }

  /** Returns {@code schema.table}. */
  @Override
  public String toString() {
    return qualified;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof TableId
        && ((TableId) o).schema.equals(schema)
        && ((TableId) o).table.equals(table);
  }

  @Override
  public int hashCode() {
    return 31 * schema.hashCode() + table.hashCode();
  }

  @Override
  public int compareTo(TableId other) {
    int bySchema = schema.compareTo(other.schema);
    return bySchema != 0 ? bySchema : table.compareTo(other.table);
  }

  private static String requireName(String name, String what) {
    Objects.requireNonNull(name, what);
    if (name.isBlank()) {
      throw new IllegalArgumentException(what + " name must not be blank");
    }
    return name;
  }
}
