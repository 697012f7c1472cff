package io.datis.postgres;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An immutable description of the PostgreSQL database a pipeline captures from: where it is, who to
 * log in as, and which replication slot and publication to use.
 *
 * <pre>{@code
 * PostgresSource pg = PostgresSource.builder()
 *     .host("db.internal").port(5432).database("shop")
 *     .user("datis").password(System.getenv("PGPASSWORD"))
 *     .build();
 * // or
 * PostgresSource pg = PostgresSource.builder()
 *     .jdbcUrl("jdbc:postgresql://db.internal:5432/shop?sslmode=require")
 *     .user("datis").password(secret)
 *     .build();
 * }</pre>
 *
 * <p>The slot and publication names are optional: when absent, the pipeline derives both from its
 * name ({@code datis_<pipeline name>}). The password is never included in {@link #toString()} nor
 * in any error message.
 */
public final class PostgresSource {

  /**
   * PostgreSQL's identifier rules for replication slots: lower-case letters, digits and
   * underscores.
   */
  private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

  private static final Pattern JDBC_URL =
      Pattern.compile("jdbc:postgresql://([^/:?]+|\\[[^]]+])(?::(\\d+))?/([^?]+)(?:\\?(.*))?");

  private final String host;
  private final int port;
  private final String database;
  private final String user;
  private final String password;
  private final @Nullable String slotName;
  private final @Nullable String publicationName;
  private final Map<String, String> connectionProperties;

  private PostgresSource(Builder builder) {
    this.host = Objects.requireNonNull(builder.host, "host");
    this.port = builder.port;
    this.database = Objects.requireNonNull(builder.database, "database");
    this.user = Objects.requireNonNull(builder.user, "user");
    this.password = builder.password;
    this.slotName = builder.slotName;
    this.publicationName = builder.publicationName;
    this.connectionProperties =
        java.util.Collections.unmodifiableMap(new LinkedHashMap<>(builder.connectionProperties));
  }

  /** Starts a new builder. Host, database and user are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder that starts with every setting of this source, e.g. to change the slot name.
   */
  public Builder toBuilder() {
    Builder b =
        new Builder().host(host).port(port).database(database).user(user).password(password);
    b.slotName = slotName;
    b.publicationName = publicationName;
    b.connectionProperties.putAll(connectionProperties);
    return b;
  }

  /** The host name or address of the server. */
  public String host() {
    return host;
  }

  /** The TCP port of the server (default 5432). */
  public int port() {
    return port;
  }

  /** The database to capture from. */
  public String database() {
    return database;
  }

  /** The user name to log in as. It needs the REPLICATION attribute (or to be a superuser). */
  public String user() {
    return user;
  }

  /** The password; empty when none was given. Never printed by Datis. */
  public String password() {
    return password;
  }

  /** The replication slot name, if one was set; otherwise the pipeline derives it from its name. */
  public Optional<String> slotName() {
    return Optional.ofNullable(slotName);
  }

  /** The publication name, if one was set; otherwise the pipeline derives it from its name. */
  public Optional<String> publicationName() {
    return Optional.ofNullable(publicationName);
  }

  /** Extra JDBC connection properties (for example {@code sslmode}), in the order given. */
  public Map<String, String> connectionProperties() {
    return connectionProperties;
  }

  /** A JDBC URL for this source, with the connection properties and without user or password. */
  public String jdbcUrl() {
    StringBuilder url = new StringBuilder("jdbc:postgresql://");
    url.append(host).append(':').append(port).append('/').append(database);
    char separator = '?';
    for (Map.Entry<String, String> property : connectionProperties.entrySet()) {
      url.append(separator).append(property.getKey()).append('=').append(property.getValue());
      separator = '&';
    }
    return url.toString();
  }

  /** Describes the source without its password. */
  @Override
  public String toString() {
    return "PostgresSource{"
        + jdbcUrl()
        + ", user="
        + user
        + ", password="
        + (password.isEmpty() ? "<none>" : "<redacted>")
        + (slotName == null ? "" : ", slot=" + slotName)
        + (publicationName == null ? "" : ", publication=" + publicationName)
        + '}';
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof PostgresSource)) {
      return false;
    }
    PostgresSource that = (PostgresSource) o;
    return port == that.port
        && host.equals(that.host)
        && database.equals(that.database)
        && user.equals(that.user)
        && password.equals(that.password)
        && Objects.equals(slotName, that.slotName)
        && Objects.equals(publicationName, that.publicationName)
        && connectionProperties.equals(that.connectionProperties);
  }

  @Override
  public int hashCode() {
    return Objects.hash(host, port, database, user, slotName, publicationName);
  }

  /** Builds a {@link PostgresSource}; each setter validates its own argument. */
  public static final class Builder {
    private @Nullable String host;
    private int port = 5432;
    private @Nullable String database;
    private @Nullable String user;
    private String password = "";
    private @Nullable String slotName;
    private @Nullable String publicationName;
    private final Map<String, String> connectionProperties = new LinkedHashMap<>();

    private Builder() {}

    /** The server's host name or address. */
    public Builder host(String host) {
      this.host = requireNotBlank(host, "host");
      return this;
    }

    /** The server's TCP port, 1 to 65535. */
    public Builder port(int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be between 1 and 65535, but was " + port);
      }
      this.port = port;
      return this;
    }

    /** The database to capture from. */
    public Builder database(String database) {
      this.database = requireNotBlank(database, "database");
      return this;
    }

    /** The user to log in as. */
    public Builder user(String user) {
      this.user = requireNotBlank(user, "user");
      return this;
    }

    /** The password of the user. */
    public Builder password(String password) {
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * Sets host, port, database and connection properties from a URL of the form {@code
     * jdbc:postgresql://host[:port]/database[?key=value&...]}. User and password are set separately
     * and are rejected when present in the URL, so that secrets never travel inside a printable
     * string.
     */
    public Builder jdbcUrl(String jdbcUrl) {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      var matcher = JDBC_URL.matcher(jdbcUrl);
      if (!matcher.matches()) {
        throw new IllegalArgumentException(
            "Not a PostgreSQL JDBC URL: expected jdbc:postgresql://host[:port]/database[?key=value&...]");
      }
      host(matcher.group(1));
      port(matcher.group(2) == null ? 5432 : Integer.parseInt(matcher.group(2)));
      database(URI.create("x:" + matcher.group(3)).getSchemeSpecificPart());
      if (matcher.group(4) != null) {
        for (String pair : matcher.group(4).split("&")) {
          if (pair.isEmpty()) {
            continue;
          }
          int eq = pair.indexOf('=');
          String key = eq < 0 ? pair : pair.substring(0, eq);
          String value = eq < 0 ? "" : pair.substring(eq + 1);
          if (key.equals("user") || key.equals("password")) {
            throw new IllegalArgumentException(
                "Put the user and password in user(...) and password(...), not in the JDBC URL");
          }
          connectionProperty(key, value);
        }
      }
      return this;
    }

    /** Adds a JDBC connection property, for example {@code sslmode=require}. */
    public Builder connectionProperty(String name, String value) {
      connectionProperties.put(
          requireNotBlank(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * The logical replication slot to use; created at start when missing. PostgreSQL allows 1 to 63
     * lower-case letters, digits and underscores.
     */
    public Builder slotName(String slotName) {
      Objects.requireNonNull(slotName, "slotName");
      if (!SLOT_NAME.matcher(slotName).matches()) {
        throw new IllegalArgumentException(
            "Invalid replication slot name '"
                + slotName
                + "': use 1 to 63 lower-case letters, digits and underscores, e.g. 'orders_cdc'");
      }
      this.slotName = slotName;
      return this;
    }

    /** The publication to use; created at start when missing. At most 63 characters. */
    public Builder publicationName(String publicationName) {
      requireNotBlank(publicationName, "publicationName");
      if (publicationName.length() > 63) {
        throw new IllegalArgumentException(
            "Invalid publication name '" + publicationName + "': at most 63 characters");
      }
      this.publicationName = publicationName;
      return this;
    }

    /**
     * Builds the source.
     *
     * @throws IllegalStateException naming every missing required setting
     */
    public PostgresSource build() {
      StringBuilder missing = new StringBuilder();
      if (host == null) {
        missing.append(" host(...)");
      }
      if (database == null) {
        missing.append(" database(...)");
      }
      if (user == null) {
        missing.append(" user(...)");
      }
      if (missing.length() > 0) {
        throw new IllegalStateException(
            "PostgresSource is missing required settings:" + missing + " (or use jdbcUrl(...))");
      }
      return new PostgresSource(this);
    }

    private static String requireNotBlank(String value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank");
      }
      return value;
    }
  }
}
