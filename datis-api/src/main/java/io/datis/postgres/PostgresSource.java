package io.datis.postgres;

import io.datis.api.ConfigurationException;
import io.datis.postgres.internal.SourcePasswords;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An immutable description of the PostgreSQL database a pipeline captures from: where it is and who
 * to log in as.
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
 * <p>The replication slot and publication belong to the pipeline: they derive from its name ({@code
 * datis_<pipeline name>}) unless {@code PipelineBuilder.slotName(...)} or {@code
 * publicationName(...)} say otherwise. The password is never included in {@link #toString()} nor in
 * any error message, and no public method returns it.
 */
public final class PostgresSource {

  private static final Pattern JDBC_URL =
      Pattern.compile("jdbc:postgresql://([^/:?]+|\\[[^]]+])(?::(\\d+))?/([^?]+)(?:\\?(.*))?");

  private final String host;
  private final int port;
  private final String database;
  private final String user;
  private final String password;
  private final Map<String, String> connectionProperties;
  private final FailoverSlot failoverSlot;

  /**
   * Whether a pipeline creates its replication slot as a failover slot (PostgreSQL 17+), which the
   * server synchronizes to its standbys so that the slot survives a primary failover. See "Primary
   * failover" in the README for the server settings it needs.
   */
  public enum FailoverSlot {
    /**
     * A failover slot on a PostgreSQL 17+ primary, an ordinary slot elsewhere (the default); an
     * existing slot is left as it is. A failover slot costs nothing without standbys; with standbys
     * that synchronize slots it is the only kind that survives a failover, and the only kind {@code
     * synchronized_standby_slots} holds back until the standbys have the WAL.
     */
    AUTOMATIC,
    /**
     * A failover slot, and an existing slot made one; the start fails on servers that cannot have
     * one (before PostgreSQL 17, a standby) and on a primary that streams to standbys but does not
     * hold logical decoding back for them ({@code synchronized_standby_slots} unset), naming the
     * fix.
     */
    ON,
    /** An ordinary slot, as before PostgreSQL 17; an existing slot is left as it is. */
    OFF
  }

  static {
    SourcePasswords.register(source -> source.password);
  }

  private PostgresSource(Builder builder) {
    this.host = Objects.requireNonNull(builder.host, "host");
    this.port = builder.port;
    this.database = Objects.requireNonNull(builder.database, "database");
    this.user = Objects.requireNonNull(builder.user, "user");
    this.password = builder.password;
    this.connectionProperties =
        java.util.Collections.unmodifiableMap(new LinkedHashMap<>(builder.connectionProperties));
    this.failoverSlot = builder.failoverSlot;
  }

  /** Starts a new builder. Host, database and user are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder that starts with every setting of this source, e.g. to change the user. */
  public Builder toBuilder() {
    Builder b =
        new Builder().host(host).port(port).database(database).user(user).password(password);
    b.connectionProperties.putAll(connectionProperties);
    b.failoverSlot = failoverSlot;
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

  /** Extra JDBC connection properties (for example {@code sslmode}), in the order given. */
  public Map<String, String> connectionProperties() {
    return connectionProperties;
  }

  /**
   * Whether the pipeline's slot is created as a failover slot; {@link FailoverSlot#AUTOMATIC}
   * unless set.
   */
  public FailoverSlot failoverSlot() {
    return failoverSlot;
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
        && connectionProperties.equals(that.connectionProperties)
        && failoverSlot == that.failoverSlot;
  }

  @Override
  public int hashCode() {
    return Objects.hash(host, port, database, user, connectionProperties, failoverSlot);
  }

  /** Builds a {@link PostgresSource}; each setter validates its own argument. */
  public static final class Builder {
    private @Nullable String host;
    private int port = 5432;
    private @Nullable String database;
    private @Nullable String user;
    private String password = "";
    private final Map<String, String> connectionProperties = new LinkedHashMap<>();
    private FailoverSlot failoverSlot = FailoverSlot.AUTOMATIC;

    private Builder() {}

    /**
     * Whether the pipeline's replication slot is a failover slot, synchronized to standbys so that
     * it survives a primary failover (PostgreSQL 17+); {@link FailoverSlot#AUTOMATIC} by default.
     */
    public Builder failoverSlot(FailoverSlot failoverSlot) {
      this.failoverSlot = Objects.requireNonNull(failoverSlot, "failoverSlot");
      return this;
    }

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
     * Builds the source.
     *
     * @throws ConfigurationException naming every missing required setting
     */
    public PostgresSource build() {
      List<String> missing = new ArrayList<>();
      if (host == null) {
        missing.add("host(...) is not set. Fix: call host(...) or jdbcUrl(...)");
      }
      if (database == null) {
        missing.add("database(...) is not set. Fix: call database(...) or jdbcUrl(...)");
      }
      if (user == null) {
        missing.add("user(...) is not set. Fix: call user(...)");
      }
      if (!missing.isEmpty()) {
        throw new ConfigurationException("PostgresSource", missing);
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
