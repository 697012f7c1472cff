package io.datis.internal;

import io.debezium.connector.postgresql.UnchangedToastedReplicationMessageColumn;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import java.sql.Array;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.jspecify.annotations.Nullable;
import org.postgresql.util.PGobject;

/**
 * Takes over, inside Debezium, the columns whose values Debezium would lose or bend: it would drop
 * columns of types it has no converter for (composites, multiranges, {@code pg_lsn}, arrays of most
 * types...), turn numeric {@code NaN} and infinities into {@code null}, read multi-dimensional
 * arrays as lists of nulls, and give geometric types as structs. For those columns it hands Datis
 * PostgreSQL's own text form, which {@link ValueConverter} turns into the documented Java values
 * (arrays element by element). Columns of the types Debezium converts exactly are left to Debezium.
 *
 * <p>Debezium creates this class by name ({@code converters=datis}); it finds the pipeline's {@link
 * PostgresTypes} by the id in its configuration.
 */
public final class ColumnTypeConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {

  /** The name under which Datis registers this converter with Debezium. */
  static final String NAME = "datis";

  /** The converter property that holds the id of the pipeline's {@link PostgresTypes}. */
  static final String TYPES = "types";

  /** An array in PostgreSQL's text form; parameters name the element kind and delimiter. */
  static final String ARRAY = "io.datis.postgres.Array";

  /**
   * A numeric in PostgreSQL's text form, which may be {@code NaN}, {@code Infinity} or {@code
   * -Infinity}.
   */
  static final String NUMERIC = "io.datis.postgres.Numeric";

  /** Any other value in PostgreSQL's text form. */
  static final String TEXT = "io.datis.postgres.Text";

  static final String ELEMENT = "element";
  static final String DELIMITER = "delimiter";

  /** The (non-array) types Debezium converts exactly under Datis's settings. */
  private static final Set<String> DEBEZIUM_CONVERTS =
      Set.of(
          "int2",
          "int4",
          "int8",
          "oid",
          "float4",
          "float8",
          "bool",
          "text",
          "varchar",
          "bpchar",
          "char",
          "json",
          "jsonb",
          "uuid",
          "bytea",
          "date",
          "time",
          "timetz",
          "timestamp",
          "timestamptz",
          "interval",
          "money",
          "inet",
          "cidr",
          "macaddr",
          "macaddr8",
          "xml",
          "tsvector",
          "int4range",
          "int8range",
          "numrange",
          "tsrange",
          "tstzrange",
          "daterange",
          "citext",
          "ltree",
          "hstore");

  private @Nullable PostgresTypes types;

  /** Created by Debezium. */
  public ColumnTypeConverter() {}

  @Override
  public void configure(Properties properties) {
    String id = properties.getProperty(TYPES);
    types = id == null ? null : PostgresTypes.registered(id);
    if (types == null) {
      throw new IllegalStateException(
          "Datis's column converter was configured without the pipeline's data types");
    }
  }

  @Override
  public void converterFor(
      RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
    PostgresTypes catalog = types;
    PostgresTypes.PgType type = catalog == null ? null : catalog.base(column.nativeType());
    if (catalog == null || type == null) {
      return;
    }
    if (type.isArray()) {
      PostgresTypes.PgType element = catalog.base(type.element());
      PgText.Kind kind = element == null ? PgText.Kind.TEXT : PgText.Kind.ofType(element.name());
      char delimiter = element == null ? ',' : element.delimiter();
      registration.register(
          SchemaBuilder.string()
              .name(ARRAY)
              .parameter(ELEMENT, kind.name())
              .parameter(DELIMITER, String.valueOf(delimiter)),
          ColumnTypeConverter::text);
    } else if ("numeric".equals(type.name())) {
      registration.register(SchemaBuilder.string().name(NUMERIC), ColumnTypeConverter::numeric);
    } else if (type.type() != 'e' && !DEBEZIUM_CONVERTS.contains(type.name())) {
      registration.register(SchemaBuilder.string().name(TEXT), ColumnTypeConverter::text);
    }
  }

  /** A value as PostgreSQL writes it, from whatever Debezium read it as (streaming or snapshot). */
  private static @Nullable Object text(@Nullable Object raw) {
    if (raw == null) {
      return null;
    }
    if (UnchangedToastedReplicationMessageColumn.isUnchangedToastedValue(raw)) {
      return ToastPlaceholder.TEXT;
    }
    if (raw instanceof String) {
      return raw;
    }
    if (raw instanceof PGobject) {
      return ((PGobject) raw).getValue();
    }
    if (raw instanceof Array) {
      return raw.toString(); // a PgArray holds the server's text
    }
    if (raw instanceof byte[]) {
      return new String((byte[]) raw, java.nio.charset.StandardCharsets.UTF_8);
    }
    return raw.toString();
  }

  private static @Nullable Object numeric(@Nullable Object raw) {
    if (raw instanceof SpecialValueDecimal) {
      SpecialValueDecimal decimal = (SpecialValueDecimal) raw;
      return decimal
          .getDecimalValue()
          .map(Object::toString)
          .orElseGet(() -> special(decimal.toDouble()));
    }
    if (raw instanceof Double || raw instanceof Float) {
      double value = ((Number) raw).doubleValue();
      return Double.isNaN(value) || Double.isInfinite(value)
          ? special(value)
          : new java.math.BigDecimal(raw.toString()).toString();
    }
    return text(raw);
  }

  private static String special(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    return value > 0 ? "Infinity" : "-Infinity";
  }
}
