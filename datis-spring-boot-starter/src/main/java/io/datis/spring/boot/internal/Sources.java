package io.datis.spring.boot.internal;

import io.datis.api.ConfigurationException;
import io.datis.postgres.PostgresSource;
import io.datis.spring.boot.DatisProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Builds the {@link PostgresSource} from {@code datis.source.*}, or from the application's {@code
 * spring.datasource.*}, naming the property and the fix for every problem.
 */
public final class Sources {

  /** What the errors of the starter's settings start with. */
  public static final String SUBJECT = "Invalid Datis configuration";

  static final String DATASOURCE_URL = "spring.datasource.url";
  static final String POSTGRES_URL_PREFIX = "jdbc:postgresql:";

  private Sources() {}

  /** Whether any {@code datis.source.*} property is set. */
  public static boolean datisSourceConfigured(Environment environment) {
    return Binder.get(environment)
        .bind("datis.source", DatisProperties.Source.class)
        .map(
            source ->
                source.jdbcUrl() != null
                    || source.host() != null
                    || source.port() != null
                    || source.database() != null
                    || source.user() != null
                    || source.password() != null)
        .orElse(false);
  }

  /** {@code spring.datasource.url} when it is a PostgreSQL JDBC URL. */
  public static @Nullable String postgresDataSourceUrl(Environment environment) {
    String url = environment.getProperty(DATASOURCE_URL);
    return url != null && url.strip().startsWith(POSTGRES_URL_PREFIX) ? url.strip() : null;
  }

  /**
   * The source that {@code datis.source.*} describes.
   *
   * @throws ConfigurationException naming each property that is missing, contradicts another or has
   *     an invalid value
   */
  public static PostgresSource fromDatisSource(DatisProperties.Source source) {
    List<String> problems = new ArrayList<>();
    PostgresSource.Builder builder = PostgresSource.builder();
    String jdbcUrl = source.jdbcUrl();
    if (jdbcUrl != null) {
      if (source.host() != null || source.port() != null || source.database() != null) {
        problems.add(
            "datis.source.jdbc-url is set together with datis.source.host, .port or .database: set"
                + " either the URL or those three");
      }
      apply(problems, "datis.source.jdbc-url", builder::jdbcUrl, jdbcUrl);
    } else {
      String host = source.host();
      String database = source.database();
      if (host == null) {
        problems.add(
            "datis.source.host is not set: set datis.source.jdbc-url"
                + " (jdbc:postgresql://host:5432/database), or datis.source.host and .database");
      } else {
        apply(problems, "datis.source.host", builder::host, host);
      }
      if (database == null) {
        problems.add(
            "datis.source.database is not set: set it to the database to capture from, or set"
                + " datis.source.jdbc-url");
      } else {
        apply(problems, "datis.source.database", builder::database, database);
      }
      Integer port = source.port();
      if (port != null) {
        apply(problems, "datis.source.port", builder::port, port);
      }
    }
    String user = source.user();
    if (user == null) {
      problems.add(
          "datis.source.user is not set: set it to the user to log in as, which needs the"
              + " REPLICATION attribute (or to be a superuser)");
    } else {
      apply(problems, "datis.source.user", builder::user, user);
    }
    String password = source.password();
    if (password != null) {
      builder.password(password);
    }
    for (Map.Entry<String, String> property : source.connectionProperties().entrySet()) {
      apply(
          problems,
          "datis.source.connection-properties." + property.getKey(),
          value -> builder.connectionProperty(property.getKey(), value),
          property.getValue());
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(SUBJECT, problems);
    }
    return builder.build();
  }

  /**
   * The source that {@code spring.datasource.url}, {@code .username} and {@code .password}
   * describe, for an application whose data source is the PostgreSQL database to capture.
   *
   * @throws ConfigurationException naming each property that is missing or invalid
   */
  public static PostgresSource fromSpringDataSource(Environment environment) {
    List<String> problems = new ArrayList<>();
    PostgresSource.Builder builder = PostgresSource.builder();
    String url = postgresDataSourceUrl(environment);
    if (url == null) {
      problems.add(
          "spring.datasource.url is not a PostgreSQL JDBC URL (jdbc:postgresql://...): set"
              + " datis.source.jdbc-url and datis.source.user instead");
    } else {
      apply(
          problems,
          DATASOURCE_URL,
          value -> builder.jdbcUrl(value),
          url,
          " (Datis takes the user and password from spring.datasource.username and .password,"
              + " or set datis.source.* instead)");
    }
    String user = environment.getProperty("spring.datasource.username");
    if (user == null || user.isBlank()) {
      problems.add(
          "spring.datasource.username is not set: Datis logs in to spring.datasource.url with"
              + " spring.datasource.username and .password; set them, or datis.source.user and"
              + " .password");
    } else {
      builder.user(user);
    }
    String password = environment.getProperty("spring.datasource.password");
    if (password != null) {
      builder.password(password);
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(SUBJECT, problems);
    }
    return builder.build();
  }

  private static <T> void apply(
      List<String> problems, String property, Consumer<T> setter, T value) {
    apply(problems, property, setter, value, "");
  }

  private static <T> void apply(
      List<String> problems, String property, Consumer<T> setter, T value, String hint) {
    try {
      setter.accept(value);
    } catch (IllegalArgumentException e) {
      problems.add(property + " is invalid: " + e.getMessage() + hint);
    }
  }
}
