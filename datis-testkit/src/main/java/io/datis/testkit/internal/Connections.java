package io.datis.testkit.internal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Opens the JDBC connections of {@code DatisPostgres}: in auto-commit mode, giving up after 10
 * seconds when the server does not answer.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class Connections {

  private Connections() {}

  /** A new connection; the caller closes it. */
  public static Connection open(String jdbcUrl, String user, String password) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("connectTimeout", "10");
    Connection connection = DriverManager.getConnection(jdbcUrl, properties);
    connection.setAutoCommit(true);
    return connection;
  }
}
