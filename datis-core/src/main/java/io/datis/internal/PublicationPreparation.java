package io.datis.internal;

import io.datis.SnapshotMode;
import io.datis.api.ConfigurationException;
import io.datis.api.event.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the signal table, and creates or updates the publication for the tables and the signal
 * table. When a pipeline that ran before now captures tables it did not, it asks (in the same
 * transaction that adds them to the publication) for their existing rows to be read while changes
 * stream, under {@link SnapshotMode#INITIAL}; under {@code CHANGES_ONLY} it says that it does not.
 * Both in one transaction, so that a table is never published without the request to read it.
 */
final class PublicationPreparation {

  /** Logs under the preflight's name: the start-up messages share one logger. */
  private static final Logger log = LoggerFactory.getLogger(PostgresPreflight.class);

  private final PipelineSettings settings;

  PublicationPreparation(PipelineSettings settings) {
    this.settings = settings;
  }

  /**
   * Prepares signal table and publication.
   *
   * @param ranBefore whether the pipeline continues from offsets, so that a table missing from its
   *     publication was added to its list since
   * @throws ConfigurationException if the existing rows of added tables cannot be read
   */
  void prepare(Connection connection, CapturedTables tables, boolean ranBefore)
      throws SQLException {
    SignalTable signals = SignalTable.of(settings.slotName());
    signals.create(connection, settings.source().user());
    PublicationSync publication = new PublicationSync(settings, tables.serverVersion());
    Set<TableId> published = publication.published(connection);
    Set<TableId> added = new LinkedHashSet<>(settings.tables());
    if (published == null || !ranBefore) {
      added.clear();
    } else {
      added.removeAll(published);
    }
    if (published == null && ranBefore && settings.snapshotMode() == SnapshotMode.INITIAL) {
      log.warn(
          "Pipeline '{}' cannot tell whether tables(...) lists tables it did not capture before, since its"
              + " publication '{}' publishes all tables or was dropped: the existing rows of a table added to"
              + " the list are not read. If you added tables, call Pipeline.snapshot(...) for them",
          settings.name(),
          settings.publicationName());
    }
    boolean readAdded = settings.snapshotMode() == SnapshotMode.INITIAL && !added.isEmpty();
    if (readAdded) {
      List<String> problems =
          IncrementalSnapshots.problems(settings, tables.eventIdentities(), added);
      if (!problems.isEmpty()) {
        throw new ConfigurationException(
            "Pipeline '"
                + settings.name()
                + "' cannot read the existing rows of the tables added to it (SnapshotMode.INITIAL)",
            problems.stream()
                .map(problem -> problem + ", or start with snapshot(SnapshotMode.CHANGES_ONLY)")
                .toList());
      }
    }
    publication.include(connection, signals.table());
    Set<TableId> wanted = new LinkedHashSet<>(settings.tables());
    wanted.add(signals.table());
    connection.setAutoCommit(false);
    try {
      publication.sync(connection, wanted, tables.partitioned());
      if (readAdded) {
        signals.requestSnapshot(connection, added, SignalTable.newId());
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(true);
    }
    if (readAdded) {
      log.info(
          "Pipeline '{}' now also captures {}: their existing rows are read while changes stream (see health())",
          settings.name(),
          added);
    } else if (!added.isEmpty()) {
      log.info(
          "Pipeline '{}' now also captures {}: their changes from now on are captured, but not their existing"
              + " rows, since the pipeline runs with SnapshotMode.CHANGES_ONLY; call Pipeline.snapshot(...) to read"
              + " them",
          settings.name(),
          added);
    }
  }
}
