package io.datis.internal;

import io.datis.api.SourceException;
import io.datis.postgres.PostgresSource;
import io.datis.postgres.internal.SourcePasswords;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Plain JDBC connections to the captured database, named after the pipeline in pg_stat_activity.
 */
final class SourceConnections {

  private SourceConnections() {}

  static Connection open(PostgresSource source, String pipeline) throws SQLException {
    return DriverManager.getConnection(source.jdbcUrl(), properties(source, pipeline));
  }

  /**
   * A replication connection in database mode ({@code replication=database}), for the commands of
   * the replication protocol such as {@code ALTER_REPLICATION_SLOT}.
   */
  static Connection openReplication(PostgresSource source, String pipeline) throws SQLException {
    Properties properties = properties(source, pipeline);
    properties.setProperty("replication", "database");
    // The driver sends the replication parameter only to servers it may assume are 9.4 or later.
    properties.setProperty("assumeMinServerVersion", "9.4");
    properties.setProperty("preferQueryMode", "simple");
    return DriverManager.getConnection(source.jdbcUrl(), properties);
  }

  private static Properties properties(PostgresSource source, String pipeline) {
    Properties properties = new Properties();
    properties.putAll(source.connectionProperties());
    properties.setProperty("user", source.user());
    properties.setProperty("password", SourcePasswords.of(source));
    properties.setProperty("ApplicationName", "datis-" + pipeline);
    return properties;
  }

  /** Why the database cannot be reached, with what to check. */
  static SourceException cannotConnect(PostgresSource source, SQLException e) {
    return new SourceException(
        "Cannot connect to PostgreSQL at "
            + source.host()
            + ":"
            + source.port()
            + "/"
            + source.database()
            + " as user '"
            + source.user()
            + "': "
            + e.getMessage()
            + ". Check host, port, database, user and password, and that the server accepts connections from this machine",
        e);
  }
}
