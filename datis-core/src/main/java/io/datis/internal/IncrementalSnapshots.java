package io.datis.internal;

import io.datis.api.SourceException;
import io.datis.api.event.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.connect.data.Struct;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reading captured tables again while changes stream (Debezium's incremental snapshot): requests
 * them through the {@link SignalTable}, follows their progress in Debezium's notifications, and
 * tells the pipeline's health and metrics, and whoever asked, how far they are. Debezium emits a
 * chunk's rows at the place in the stream where the chunk was read, leaving out rows changed
 * meanwhile, so a row's snapshot event never comes after a newer change of that row.
 */
final class IncrementalSnapshots {

  private static final Logger log = LoggerFactory.getLogger(IncrementalSnapshots.class);

  private final PipelineSettings settings;
  private final SignalTable signals;
  private final Map<TableId, ReplicaIdentity> identities;

  /** Tables being read or waiting to be, in order, with the rows read so far. */
  private final Map<TableId, Long> remaining = new LinkedHashMap<>();

  private @Nullable TableId current;
  private final List<Request> requests = new ArrayList<>();

  /**
   * A caller's request; it counts the reads of its tables from the moment Debezium took its signal.
   */
  private static final class Request {
    final String signalId;
    final Set<TableId> tables;
    final Set<TableId> done = new LinkedHashSet<>();
    final CompletableFuture<Void> completion = new CompletableFuture<>();
    boolean taken;

    Request(String signalId, Set<TableId> tables) {
      this.signalId = signalId;
      this.tables = tables;
    }
  }

  /**
   * What a notification means for the pipeline: requests to complete once the events before it are
   * acknowledged by the sink, or a failure that stops the pipeline.
   */
  record Outcome(List<Runnable> whenAcknowledged, @Nullable SourceException failure) {
    static final Outcome NOTHING = new Outcome(List.of(), null);
  }

  IncrementalSnapshots(PipelineSettings settings, Map<TableId, ReplicaIdentity> identities) {
    this.settings = settings;
    this.signals = SignalTable.of(settings.slotName());
    this.identities = Map.copyOf(identities);
  }

  /**
   * Whether the table is the pipeline's signal table, whose changes are Debezium's and not
   * delivered.
   */
  boolean isSignalTable(TableId table) {
    return signals.table().equals(table);
  }

  /**
   * Asks for the tables to be read again; the stage completes once Debezium has read them all and
   * the sink has acknowledged their rows.
   *
   * @throws IllegalArgumentException if a table is not captured, or has no key to read it in chunks
   *     by
   */
  CompletionStage<Void> request(List<String> names) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("snapshot(...) needs at least one table");
    }
    Set<TableId> tables = new LinkedHashSet<>();
    for (String name : names) {
      tables.add(TableId.parse(name));
    }
    List<String> problems = problems(settings, identities, tables);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    Request request = new Request(SignalTable.newId(), tables);
    synchronized (this) {
      requests.add(request);
    }
    try (Connection connection = SourceConnections.open(settings.source(), settings.name())) {
      signals.requestSnapshot(connection, tables, request.signalId);
    } catch (SQLException e) {
      synchronized (this) {
        requests.remove(request);
      }
      throw new SourceException(
          "Cannot ask for a snapshot of "
              + tables
              + " in "
              + signals.table()
              + ": "
              + e.getMessage(),
          e);
    }
    log.info(
        "Pipeline '{}': reading {} again while changes stream (an incremental snapshot)",
        settings.name(),
        tables);
    return request.completion.minimalCompletionStage();
  }

  /** Why the tables cannot be read again by the pipeline; empty if they can. */
  static List<String> problems(
      PipelineSettings settings, Map<TableId, ReplicaIdentity> identities, Set<TableId> tables) {
    List<String> problems = new ArrayList<>(1);
    for (TableId table : tables) {
      ReplicaIdentity identity = identities.get(table);
      if (!settings.tables().contains(table)) {
        problems.add(
            "Table "
                + table
                + " is not captured by pipeline '"
                + settings.name()
                + "' (it captures "
                + settings.tables()
                + "): add it with tables(...) to read it");
      } else if (identity == null || identity.keyColumns().isEmpty()) {
        problems.add(
            "Table "
                + table
                + " has no key (primary key or replica identity index), which reading it while"
                + " changes stream needs, to read it in chunks and leave out rows changed meanwhile. Fix: add a"
                + " primary key");
      }
    }
    return problems;
  }

  /**
   * Follows a notification from Debezium; ignores those about other things than incremental
   * snapshots. Called on the engine's thread, in stream order.
   */
  synchronized Outcome onNotification(Struct notification) {
    if (!"Incremental Snapshot".equals(notification.getString("aggregate_type"))) {
      return Outcome.NOTHING;
    }
    // Debezium tags a snapshot's notifications with the id of the signal that started it, or of the
    // last
    // signal that added tables to it.
    String signalId = notification.getString("id");
    for (Request request : requests) {
      request.taken |= request.signalId.equals(signalId);
    }
    Map<?, ?> data = notification.getMap("additional_data");
    Map<?, ?> details = data == null ? Map.of() : data;
    switch (notification.getString("type")) {
      case "STARTED":
      case "DATA_COLLECTIONS_RESOLVED":
        tables(details.get("data_collections")).forEach(table -> remaining.putIfAbsent(table, 0L));
        return Outcome.NOTHING;
      case "IN_PROGRESS":
        // After a restart Debezium goes on without a STARTED: the tables come with the progress.
        tables(details.get("data_collections")).forEach(table -> remaining.putIfAbsent(table, 0L));
        List<TableId> inProgress = tables(details.get("current_collection_in_progress"));
        current = inProgress.isEmpty() ? current : inProgress.get(0);
        return Outcome.NOTHING;
      case "TABLE_SCAN_COMPLETED":
        return tableScanned(details);
      case "COMPLETED":
        remaining.clear();
        current = null;
        return new Outcome(complete(request -> request.taken), null);
      case "ABORTED":
        remaining.clear();
        current = null;
        for (Request request : takenRequests()) {
          request.completion.completeExceptionally(
              new SourceException(
                  "Reading " + request.tables + " again was aborted (a stop-snapshot signal)"));
          requests.remove(request);
        }
        return Outcome.NOTHING;
      default:
        return Outcome.NOTHING;
    }
  }

  private Outcome tableScanned(Map<?, ?> details) {
    List<TableId> scanned = tables(details.get("scanned_collection"));
    if (scanned.isEmpty()) {
      return Outcome.NOTHING;
    }
    TableId table = scanned.get(0);
    String status = String.valueOf(details.get("status"));
    remaining.remove(table);
    if (!"SUCCEEDED".equals(status) && !"EMPTY".equals(status)) {
      // Debezium goes on with the next table; the rows of this one were not all delivered.
      return new Outcome(
          List.of(),
          new SourceException(
              "Reading "
                  + table
                  + " again while changes stream failed: Debezium reported "
                  + status.toLowerCase(Locale.ROOT).replace('_', ' ')
                  + " (see its log), so not all of its existing rows were delivered. Fix the cause, start the"
                  + " pipeline again and call Pipeline.snapshot(\""
                  + table
                  + "\")"));
    }
    log.info(
        "Pipeline '{}': read {} again ({} rows)",
        settings.name(),
        table,
        details.get("total_rows_scanned"));
    for (Request request : takenRequests()) {
      if (request.tables.contains(table)) {
        request.done.add(table);
      }
    }
    return new Outcome(complete(request -> request.done.containsAll(request.tables)), null);
  }

  private List<Request> takenRequests() {
    return requests.stream().filter(request -> request.taken).toList();
  }

  /**
   * Removes the requests that are done and returns how to complete them: asynchronously, so that
   * callers' code runs on neither the engine's nor the sink's thread.
   */
  private List<Runnable> complete(java.util.function.Predicate<Request> done) {
    List<Runnable> completions = new ArrayList<>(0);
    for (Request request : List.copyOf(requests)) {
      if (done.test(request)) {
        requests.remove(request);
        completions.add(() -> request.completion.completeAsync(() -> null));
      }
    }
    return completions;
  }

  /** Counts a row the incremental snapshot read. */
  synchronized void rowRead(TableId table) {
    remaining.computeIfPresent(table, (name, rows) -> rows + 1);
  }

  /** The tables being read or waiting to be. */
  synchronized int remainingTables() {
    return remaining.size();
  }

  /**
   * What health shows: the snapshot in progress, e.g. {@code reading public.b (1,024 rows so far)}.
   */
  synchronized @Nullable String progress() {
    if (remaining.isEmpty()) {
      return null;
    }
    List<String> parts = new ArrayList<>(remaining.size());
    remaining.forEach(
        (table, rows) ->
            parts.add(
                table.equals(current) || (current == null && parts.isEmpty())
                    ? "reading "
                        + table
                        + " ("
                        + String.format(Locale.ROOT, "%,d", rows)
                        + " rows so far)"
                    : table + " waiting"));
    return "snapshot while streaming: " + String.join(", ", parts);
  }

  /** The pipeline stopped: those who wait are told that the snapshot goes on at the next start. */
  synchronized void close() {
    for (Request request : requests) {
      request.completion.completeExceptionally(
          new SourceException(
              "Pipeline '"
                  + settings.name()
                  + "' stopped before reading "
                  + request.tables
                  + " again finished; it goes on where it was when the pipeline starts again"));
    }
    requests.clear();
  }

  private static List<TableId> tables(@Nullable Object names) {
    if (names == null || names.toString().isBlank()) {
      return List.of();
    }
    List<TableId> tables = new ArrayList<>();
    for (String name : names.toString().split(",")) {
      String unquoted = name.strip().replace("\\.", ".").replace("\\", "");
      try {
        tables.add(TableId.parse(unquoted));
      } catch (IllegalArgumentException e) {
        log.debug("Not a table name in a Debezium notification: {}", unquoted);
      }
    }
    return Collections.unmodifiableList(tables);
  }
}
