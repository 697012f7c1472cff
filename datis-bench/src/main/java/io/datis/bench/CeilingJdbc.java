package io.datis.bench;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * Scenario 1a: PostgreSQL's own decoding, read with PgJDBC's replication API ({@code pgoutput},
 * protocol 1), counting INSERT messages and doing nothing else.
 */
final class CeilingJdbc {

  private CeilingJdbc() {}

  static void drain(ChildSpec spec, Progress progress) throws Exception {
    Properties properties = new Properties();
    PGProperty.USER.set(properties, spec.user());
    PGProperty.PASSWORD.set(properties, spec.password());
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(properties, "10");
    PGProperty.REPLICATION.set(properties, "database");
    PGProperty.PREFER_QUERY_MODE.set(properties, "simple");
    try (Connection connection = DriverManager.getConnection(spec.jdbcUrl(), properties)) {
      PGReplicationStream stream =
          connection
              .unwrap(PGConnection.class)
              .getReplicationAPI()
              .replicationStream()
              .logical()
              .withSlotName(spec.get("slot"))
              .withSlotOption("proto_version", "1")
              .withSlotOption("publication_names", spec.get("publication"))
              .withStatusInterval(10, TimeUnit.SECONDS)
              .start();
      try {
        while (progress.count() < progress.expected()) {
          ByteBuffer message = stream.read();
          if (message.get(message.position()) == 'I') {
            progress.add(1);
          }
        }
      } finally {
        stream.close();
      }
    }
  }
}
