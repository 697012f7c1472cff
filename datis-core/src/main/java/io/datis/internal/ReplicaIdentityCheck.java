package io.datis.internal;

import io.datis.api.event.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, while the pipeline runs, that every captured table (and every partition of a captured
 * partitioned table) still has a replica identity. One that lost it (its primary key dropped,
 * {@code REPLICA IDENTITY NOTHING} set, a partition without one attached) makes PostgreSQL refuse
 * the application's own UPDATE and DELETE on it while it is in the publication: that must not go
 * unseen.
 */
final class ReplicaIdentityCheck {

  private static final Logger log = LoggerFactory.getLogger(ReplicaIdentityCheck.class);

  private final PipelineSettings settings;
  private final int serverVersion;
  private volatile @Nullable String problem;

  ReplicaIdentityCheck(PipelineSettings settings, int serverVersion) {
    this.settings = settings;
    this.serverVersion = serverVersion;
  }

  /**
   * Reads the tables' replica identities again; logs an error when one is lost, once per change.
   */
  void check(Connection connection) throws SQLException {
    List<TableId> tables = settings.tables();
    List<ReplicaIdentity> unidentified =
        ReplicaIdentity.readRowTables(connection, tables, serverVersion).stream()
            .filter(identity -> !identity.identifiesRows())
            .toList();
    String found =
        unidentified.isEmpty()
            ? null
            : CapturedTables.withoutReplicaIdentity(unidentified, settings.publicationName());
    String previous = problem;
    if (found != null && !found.equals(previous)) {
      log.error("Pipeline '{}': {}", settings.name(), found);
    } else if (found == null && previous != null) {
      log.info("Pipeline '{}': every captured table has a replica identity again", settings.name());
    }
    problem = found;
  }

  /** Which captured tables lost their replica identity, with the fix; {@code null} if none did. */
  @Nullable String problem() {
    return problem;
  }
}
