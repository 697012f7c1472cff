package io.datis.bench;

import io.datis.postgres.PostgresSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scenario JVM is told to do, passed as {@code key=value} arguments (the database password
 * travels in the environment variable {@value #PASSWORD_VARIABLE}).
 */
final class ChildSpec {

  static final String PASSWORD_VARIABLE = "DATIS_BENCH_PG_PASSWORD";

  private final Map<String, String> values;

  private ChildSpec(Map<String, String> values) {
    this.values = values;
  }

  static ChildSpec create() {
    return new ChildSpec(new LinkedHashMap<>());
  }

  static ChildSpec parse(String[] args) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String arg : args) {
      int equals = arg.indexOf('=');
      if (equals <= 0) {
        throw new IllegalArgumentException("Expected key=value, got '" + arg + "'");
      }
      values.put(arg.substring(0, equals), arg.substring(equals + 1));
    }
    return new ChildSpec(values);
  }

  ChildSpec with(String key, Object value) {
    values.put(key, String.valueOf(value));
    return this;
  }

  String get(String key) {
    String value = values.get(key);
    if (value == null) {
      throw new IllegalArgumentException("Missing " + key + "=... argument");
    }
    return value;
  }

  long getLong(String key) {
    return Long.parseLong(get(key));
  }

  List<String> toArguments() {
    List<String> args = new ArrayList<>();
    values.forEach((key, value) -> args.add(key + "=" + value));
    return args;
  }

  String host() {
    return get("host");
  }

  int port() {
    return Integer.parseInt(get("port"));
  }

  String database() {
    return get("database");
  }

  String user() {
    return get("user");
  }

  String password() {
    String password = System.getenv(PASSWORD_VARIABLE);
    return password == null ? "" : password;
  }

  String jdbcUrl() {
    return "jdbc:postgresql://" + host() + ":" + port() + "/" + database();
  }

  /** The Datis source of this spec's database. */
  PostgresSource source() {
    return PostgresSource.builder()
        .host(host())
        .port(port())
        .database(database())
        .user(user())
        .password(password())
        .build();
  }
}
