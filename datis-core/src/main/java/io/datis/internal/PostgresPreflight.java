package io.datis.internal;

import io.datis.api.ConfigurationException;
import io.datis.api.SourceException;
import io.datis.postgres.PostgresSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before any capture starts, that the database can be captured from, and reports every
 * problem at once with its fix. Then makes sure the publication matches the pipeline's tables and
 * the replication slot exists, so that every change committed after {@code start()} returns is
 * captured.
 *
 * <p>Runs the stages in order on one connection: {@link ServerReadiness} and {@link
 * SlotPreparation#check} collect the problems of server, tables and slot, and nothing in the
 * database changes unless there are none; {@link SlotPreparation#matchOffsets} checks the slot
 * against the offsets; {@link PublicationPreparation} prepares the publication; last, the slot is
 * created if needed.
 */
final class PostgresPreflight {

  private static final Logger log = LoggerFactory.getLogger(PostgresPreflight.class);

  private final PipelineSettings settings;
  private final PostgresSource source;
  private final SlotMarker marker;

  PostgresPreflight(PipelineSettings settings, SlotMarker marker) {
    this.marker = marker;
    this.settings = settings;
    this.source = settings.source();
  }

  /**
   * Runs the checks and prepares publication and slot; throws {@link SourceException} when the
   * database cannot be captured from and {@link ConfigurationException} when the listed tables
   * cannot be, before changing anything in the database.
   *
   * @return the captured tables as the catalog describes them
   */
  CapturedTables run() {
    try (Connection connection = connect()) {
      int serverVersion = ServerReadiness.version(connection);
      ServerReadiness server = new ServerReadiness(settings);
      SlotPreparation slot = new SlotPreparation(settings, marker);
      List<String> problems = new ArrayList<>();
      server.checkWalLevel(connection, problems);
      server.checkReplicationPrivilege(connection, problems);
      CapturedTables tables = CapturedTables.read(connection, settings.tables(), serverVersion);
      problems.addAll(tables.sourceProblems(source.user(), source.database()));
      SlotPreparation.ExistingSlot existing = slot.check(connection, problems);
      FailoverSlots failover = new FailoverSlots(settings);
      boolean failoverSlot = failover.wanted(connection, serverVersion, problems);
      server.checkReplicationCapacity(connection, existing != null, problems);
      if (!problems.isEmpty()) {
        throw new SourceException(describe(problems));
      }
      List<String> tableProblems = tables.configurationProblems(settings.publicationName());
      if (!tableProblems.isEmpty()) {
        throw new ConfigurationException(
            "Pipeline '" + settings.name() + "' cannot start", tableProblems);
      }
      SlotPreparation.Plan plan = slot.matchOffsets(connection, existing, timeline());
      new PublicationPreparation(settings).prepare(connection, tables, plan.ranBefore());
      if (plan.createSlot()) {
        slot.create(connection, failoverSlot);
      } else if (failoverSlot && source.failoverSlot() == PostgresSource.FailoverSlot.ON) {
        failover.makeFailover(connection); // AUTOMATIC leaves an existing slot as it is
      }
      return tables;
    } catch (SQLException e) {
      throw new SourceException(
          "Cannot prepare PostgreSQL at " + where() + " for capture: " + e.getMessage(), e);
    }
  }

  /**
   * The server's timeline, to tell a failover since the pipeline last ran; {@code null}, with a
   * warning, if the replication protocol cannot say (then a failover goes unnoticed at this start).
   */
  private @Nullable ServerTimeline timeline() {
    try {
      return ServerTimeline.read(source, settings.name());
    } catch (SQLException | RuntimeException e) {
      log.warn(
          "Pipeline '{}' cannot read the server's WAL timeline (IDENTIFY_SYSTEM, TIMELINE_HISTORY): a"
              + " primary failover since it last ran cannot be checked for lost changes: {}",
          settings.name(),
          e.toString());
      return null;
    }
  }

  private Connection connect() {
    try {
      return SourceConnections.open(source, settings.name());
    } catch (SQLException e) {
      throw SourceConnections.cannotConnect(source, e);
    }
  }

  private String describe(List<String> problems) {
    if (problems.size() == 1) {
      return problems.get(0);
    }
    StringBuilder message =
        new StringBuilder("PostgreSQL at ")
            .append(where())
            .append(" cannot be captured from, for ")
            .append(problems.size())
            .append(" reasons:");
    for (String problem : problems) {
      message.append("\n  - ").append(problem);
    }
    return message.toString();
  }

  private String where() {
    return source.host() + ":" + source.port() + "/" + source.database();
  }
}
