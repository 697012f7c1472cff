package io.datis.bench;

import java.io.OutputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import org.postgresql.PGConnection;

/**
 * Scenario 6c: the snapshot's ceiling, the table read with {@code COPY (SELECT ...) TO STDOUT}
 * through PgJDBC, counting the rows (lines) and doing nothing else with them.
 */
final class CeilingCopy {

  private CeilingCopy() {}

  static void read(ChildSpec spec, Progress progress) throws Exception {
    try (Connection connection =
        DriverManager.getConnection(spec.jdbcUrl(), spec.user(), spec.password())) {
      String copy = "COPY (SELECT * FROM " + spec.get("table") + ") TO STDOUT";
      connection.unwrap(PGConnection.class).getCopyAPI().copyOut(copy, new LineCounter(progress));
    }
  }

  /** Counts the lines written to it into the progress, a block at a time. */
  private static final class LineCounter extends OutputStream {
    private final Progress progress;

    LineCounter(Progress progress) {
      this.progress = progress;
    }

    @Override
    public void write(int b) {
      if (b == '\n') {
        progress.add(1);
      }
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      long lines = 0;
      for (int i = offset; i < offset + length; i++) {
        if (bytes[i] == '\n') {
          lines++;
        }
      }
      if (lines > 0) {
        progress.add(lines);
      }
    }
  }
}
