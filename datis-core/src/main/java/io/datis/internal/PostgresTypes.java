package io.datis.internal;

import io.datis.postgres.PostgresSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL's data types as its catalog ({@code pg_type}) describes them, so that a column's
 * values can be converted by what its type is: a domain by its base type, an array by its element
 * type. Read at start, and again when a column of a type created later turns up.
 *
 * <p>Debezium creates the {@link ColumnTypeConverter} that needs this by class name, from
 * configuration text; the pipeline therefore registers its catalog here under an id that it passes
 * in that configuration, and removes it when it stops.
 */
final class PostgresTypes {

  /** One {@code pg_type} row. */
  record PgType(
      int oid, String name, char type, char category, int element, int baseType, char delimiter) {

    /**
     * Whether this is an array type: {@code typcategory 'A'} and named {@code _<element>} (which
     * leaves out {@code int2vector} and {@code oidvector}, whose text is not an array's).
     */
    boolean isArray() {
      return category == 'A' && element != 0 && name.startsWith("_");
    }
  }

  private static final Map<String, PostgresTypes> REGISTERED = new ConcurrentHashMap<>();

  private final PostgresSource source;
  private final String pipeline;
  private volatile Map<Integer, PgType> types = Map.of();

  PostgresTypes(PostgresSource source, String pipeline) {
    this.source = source;
    this.pipeline = pipeline;
  }

  /** Reads every type from the catalog. */
  void load(Connection connection) throws SQLException {
    Map<Integer, PgType> loaded = new ConcurrentHashMap<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT oid::int, typname, typtype, typcategory, typelem::int, typbasetype::int, typdelim FROM pg_type")) {
      while (rows.next()) {
        PgType type =
            new PgType(
                rows.getInt(1),
                rows.getString(2),
                rows.getString(3).charAt(0),
                rows.getString(4).charAt(0),
                rows.getInt(5),
                rows.getInt(6),
                rows.getString(7).charAt(0));
        loaded.put(type.oid(), type);
      }
    }
    types = loaded;
  }

  /**
   * The type, after reading the catalog again if it is not known yet; {@code null} if it does not
   * exist.
   */
  @Nullable PgType get(int oid) {
    PgType type = types.get(oid);
    if (type == null) {
      synchronized (this) {
        type = types.get(oid);
        if (type == null) {
          try (Connection connection = SourceConnections.open(source, pipeline)) {
            load(connection);
          } catch (SQLException e) {
            throw new IllegalStateException(
                "Cannot read PostgreSQL's data types (pg_type): " + e.getMessage(), e);
          }
          type = types.get(oid);
        }
      }
    }
    return type;
  }

  /** The type a domain is based on, through domains of domains; any other type itself. */
  @Nullable PgType base(int oid) {
    PgType type = get(oid);
    for (int depth = 0; type != null && type.type() == 'd' && depth < 32; depth++) {
      type = get(type.baseType());
    }
    return type;
  }

  /** Registers the catalog for the converters of one pipeline; returns the id they find it by. */
  String register() {
    String id = UUID.randomUUID().toString();
    REGISTERED.put(id, this);
    return id;
  }

  static void unregister(String id) {
    REGISTERED.remove(id);
  }

  static @Nullable PostgresTypes registered(String id) {
    return REGISTERED.get(id);
  }
}
