package io.datis.pubsub.faults;

import io.datis.testkit.DatisPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;

/**
 * An immediate shutdown of the embedded PostgreSQL, as after a crash: {@code DatisPostgres} only
 * offers a fast shutdown, so this sends SIGQUIT to the postmaster, which is exactly what {@code
 * pg_ctl stop -m immediate} does: every backend quits at once, nothing is checkpointed, and the
 * next start runs crash recovery. The postmaster is found as the parent process of a backend.
 */
final class PostgresCrash {

  private PostgresCrash() {}

  /** Stops the server immediately and waits until its postmaster is gone. */
  static void immediateShutdown(DatisPostgres pg) throws InterruptedException {
    ProcessHandle postmaster;
    try (Connection connection = pg.connect();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT pg_backend_pid()")) {
      row.next();
      long backend = row.getLong(1);
      postmaster =
          ProcessHandle.of(backend)
              .flatMap(ProcessHandle::parent)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "Cannot find the postmaster, parent of backend " + backend));
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot find the PostgreSQL postmaster", e);
    }
    try {
      Process kill =
          new ProcessBuilder("kill", "-QUIT", Long.toString(postmaster.pid()))
              .redirectErrorStream(true)
              .start();
      String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -QUIT " + postmaster.pid() + " failed: " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot run kill", e);
    }
    try {
      postmaster.onExit().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(
          "The postmaster " + postmaster.pid() + " did not exit within 30 s of SIGQUIT", e);
    }
    if (pg.isRunning()) {
      throw new IllegalStateException("PostgreSQL still runs after the immediate shutdown");
    }
  }
}
