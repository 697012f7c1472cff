package io.datis.testkit.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The settings a server of {@code DatisPostgres} starts with: defaults that give it logical
 * replication, the settings added with {@code withSetting}, which replace defaults of the same
 * name, and the port, if one was requested. Not thread-safe: {@code DatisPostgres} adds settings
 * under its lock.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class ServerSettings {

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

  private static final Map<String, String> DEFAULTS = defaults();

  private final Map<String, String> added = new LinkedHashMap<>();
  private volatile int requestedPort;

  /**
   * The key of a setting: its name in lower case, as PostgreSQL compares them.
   *
   * @throws IllegalArgumentException if the name is not a setting name
   */
  public static String key(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "'" + name + "' is not a PostgreSQL setting name, such as wal_level or max_wal_senders");
    }
    return name.toLowerCase(Locale.ROOT);
  }

  /**
   * Adds a setting; {@code port} is kept apart, as the requested port.
   *
   * @throws IllegalArgumentException if the port is not a port
   */
  void put(String key, String value) {
    if (key.equals("port")) {
      requestedPort = parsePort(value);
    } else {
      added.put(key, value);
    }
  }

  /** The requested port, or 0 to pick a free one. */
  int requestedPort() {
    return requestedPort;
  }

  /** The defaults, each replaced by an added setting of its name, then the other added settings. */
  Map<String, String> effective() {
    Map<String, String> effective = new LinkedHashMap<>(DEFAULTS);
    effective.putAll(added);
    return effective;
  }

  private static int parsePort(String value) {
    try {
      int port = Integer.parseInt(value.strip());
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "port must be a number from 1 to 65535, but was '" + value + "'");
  }

  private static Map<String, String> defaults() {
    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put("listen_addresses", EmbeddedServer.HOST);
    defaults.put("unix_socket_directories", "");
    defaults.put("wal_level", "logical");
    defaults.put("max_replication_slots", "20");
    defaults.put("max_wal_senders", "20");
    defaults.put("max_connections", "100");
    defaults.put("fsync", "off");
    defaults.put("full_page_writes", "off");
    defaults.put("timezone", "UTC");
    defaults.put("lc_messages", "C");
    return Collections.unmodifiableMap(defaults);
  }
}
