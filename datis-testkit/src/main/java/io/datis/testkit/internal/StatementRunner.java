package io.datis.testkit.internal;

import io.datis.testkit.DatisPostgres;
import io.datis.testkit.DatisPostgres.FixtureException;
import io.datis.testkit.DatisPostgres.RowMapper;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Runs the SQL of {@link DatisPostgres#execute} and {@link DatisPostgres#query}, on a new
 * connection of the fixture each time; a failure becomes a {@link FixtureException} that names the
 * statement and carries PostgreSQL's error.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class StatementRunner {

  private StatementRunner() {}

  /** Runs statements in order, each in its own transaction; stops at the first failure. */
  public static void execute(DatisPostgres pg, String... statements) {
    try (Connection connection = pg.connect();
        Statement jdbc = connection.createStatement()) {
      for (String statement : statements) {
        try {
          jdbc.execute(statement);
        } catch (SQLException e) {
          throw statementFailed(statement, e);
        }
      }
    } catch (SQLException e) {
      throw new FixtureException(
          "Could not run statements on " + pg.jdbcUrl() + ": " + e.getMessage(), e);
    }
  }

  /** Runs a query and maps each row, in order, into an unmodifiable list. */
  public static <T extends @Nullable Object> List<T> query(
      DatisPostgres pg, String sql, RowMapper<T> mapper) {
    try (Connection connection = pg.connect();
        Statement jdbc = connection.createStatement();
        ResultSet rows = jdbc.executeQuery(sql)) {
      List<T> mapped = new ArrayList<>();
      while (rows.next()) {
        mapped.add(mapper.map(rows));
      }
      return Collections.unmodifiableList(mapped);
    } catch (SQLException e) {
      throw statementFailed(sql, e);
    }
  }

  private static FixtureException statementFailed(String statement, SQLException e) {
    return new FixtureException(
        "Statement failed: " + statement + "\n" + e.getSQLState() + " " + e.getMessage(), e);
  }
}
