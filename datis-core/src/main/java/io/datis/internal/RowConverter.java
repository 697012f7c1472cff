package io.datis.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.jspecify.annotations.Nullable;

/** Converts a row struct of one schema to an ordered, unmodifiable map, with one converter per column. */
final class RowConverter {

  private final Field[] fields;
  private final ValueConverter[] converters;

  RowConverter(Schema rowSchema) {
    List<Field> schemaFields = rowSchema.fields();
    this.fields = schemaFields.toArray(new Field[0]);
    this.converters = new ValueConverter[fields.length];
    for (int i = 0; i < fields.length; i++) {
      converters[i] = ValueConverter.forSchema(fields[i].schema());
    }
  }

  Map<String, @Nullable Object> convert(Struct row) {
    Map<String, @Nullable Object> values = new LinkedHashMap<>((int) (fields.length / 0.75f) + 1);
    for (int i = 0; i < fields.length; i++) {
      Object raw = row.get(fields[i]);
      values.put(fields[i].name(), raw == null ? null : converters[i].convert(raw));
    }
    return Collections.unmodifiableMap(values);
  }
}
