package io.datis.internal;

import io.datis.api.event.Row;
import java.util.List;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.jspecify.annotations.Nullable;

/** Converts a row struct of one schema to a {@link Row}, with one converter per column. */
final class RowConverter {

  private final Field[] fields;
  private final ValueConverter[] converters;
  private final Row.Columns columns;

  RowConverter(Schema rowSchema) {
    List<Field> schemaFields = rowSchema.fields();
    this.fields = schemaFields.toArray(new Field[0]);
    this.converters = new ValueConverter[fields.length];
    for (int i = 0; i < fields.length; i++) {
      converters[i] = ValueConverter.forSchema(fields[i].schema());
    }
    this.columns = Row.Columns.of(schemaFields.stream().map(Field::name).toList());
  }

  Row convert(Struct row) {
    @Nullable Object[] values = new Object[fields.length];
    for (int i = 0; i < fields.length; i++) {
      Object raw = row.get(fields[i]);
      try {
        values[i] = raw == null ? null : converters[i].convert(raw);
      } catch (RuntimeException e) {
        throw new ColumnConversionException(fields[i], e);
      }
    }
    return columns.row(values);
  }

  /** A value of a column could not be converted; names the column and its type, never the value. */
  static final class ColumnConversionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ColumnConversionException(Field field, RuntimeException cause) {
      super(
          "column "
              + field.name()
              + " of type "
              + typeOf(field.schema())
              + ": "
              + cause.getClass().getName()
              + " (the cause holds its message)",
          cause);
    }

    private static String typeOf(Schema schema) {
      String type =
          schema.parameters() == null
              ? null
              : schema.parameters().get("__debezium.source.column.type");
      return type != null ? type : schema.name() != null ? schema.name() : schema.type().getName();
    }
  }
}
