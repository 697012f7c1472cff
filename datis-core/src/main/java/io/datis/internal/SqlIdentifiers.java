package io.datis.internal;

import io.datis.api.event.TableId;

/** Quotes PostgreSQL identifiers, so names are taken literally (case, dots, quotes and all). */
final class SqlIdentifiers {

  private SqlIdentifiers() {}

  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  static String quote(TableId table) {
    return quote(table.schema()) + "." + quote(table.table());
  }
}
