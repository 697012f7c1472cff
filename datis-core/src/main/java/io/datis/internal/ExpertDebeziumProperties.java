package io.datis.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Which Debezium connector properties a user may set with {@code debeziumProperty}: an allow-list
 * of settings that tune timing, fetching and retries but cannot change which events are delivered,
 * their order, their keys, their values or when offsets are committed. Everything else is refused,
 * with the Datis setting that replaces it where there is one.
 */
public final class ExpertDebeziumProperties {

  /** The properties users may set, each harmless to Datis's guarantees. */
  public static final Set<String> ALLOWED =
      Set.of(
          "snapshot.fetch.size",
          "snapshot.max.threads",
          "poll.interval.ms",
          "snapshot.lock.timeout.ms",
          "snapshot.delay.ms",
          "streaming.delay.ms",
          "query.fetch.size",
          "incremental.snapshot.chunk.size",
          "status.update.interval.ms",
          "heartbeat.interval.ms",
          "heartbeat.action.query",
          "slot.max.retries",
          "slot.retry.delay.ms",
          "xmin.fetch.interval.ms",
          "errors.max.retries",
          "errors.retry.delay.initial.ms",
          "errors.retry.delay.max.ms",
          "custom.metric.tags");

  /**
   * Refused properties (exact names, or prefixes ending in {@code .} or {@code *}) with the Datis
   * setting that replaces them; the first match wins.
   */
  private static final Map<String, String> REPLACEMENTS = replacements();

  private ExpertDebeziumProperties() {}

  private static Map<String, String> replacements() {
    Map<String, String> replacements = new LinkedHashMap<>();
    String datisConnector =
        "Datis runs the PostgreSQL connector with pgoutput and names it after the pipeline";
    replacements.put("name", datisConnector);
    replacements.put("connector.class", datisConnector);
    replacements.put("plugin.name", datisConnector);
    replacements.put("topic.prefix", datisConnector);
    replacements.put(
        "database.", "use PostgresSource (jdbcUrl, user, password, connectionProperties)");
    replacements.put("driver.", "use PostgresSource.builder().connectionProperty(...)");
    replacements.put("slot.name", "use the pipeline builder's slotName(...)");
    replacements.put(
        "publication.",
        "use the pipeline builder's publicationName(...); Datis manages the publication");
    replacements.put("table.", "use tables(...)");
    replacements.put("schema.include.list", "use tables(...)");
    replacements.put("schema.exclude.list", "use tables(...)");
    replacements.put("snapshot.mode", "use snapshot(SnapshotMode)");
    replacements.put(
        "snapshot.include.collection.list",
        "use tables(...); Pipeline.snapshot(...) reads tables again");
    replacements.put(
        "snapshot.select.statement.overrides", "filter with a Transform (Transforms.filter)");
    replacements.put("offset.", "use offsets(OffsetStore)");
    replacements.put("lsn.flush.", "Datis commits offsets itself, only for delivered events");
    replacements.put("flush.lsn.source", "Datis commits offsets itself, only for delivered events");
    replacements.put("max.batch.size", "use maxBatchSize(int)");
    replacements.put(
        "max.queue.size", "use maxInFlightBytes(long), which bounds Debezium's queue too");
    replacements.put(
        "skipped.operations",
        "filter with a Transform (Transforms.filter); Datis captures every operation");
    replacements.put("column.", "use Transforms.dropColumns, maskColumns or hashColumns");
    replacements.put(
        "message.key.columns",
        "Datis keys events by the primary key or the replica identity index");
    replacements.put("transforms", "use transform(Transform)");
    replacements.put("predicates", "use transform(Transform)");
    String types = "Datis converts every column type itself (see the README's type table)";
    replacements.put("converters", types);
    replacements.put("decimal.handling.mode", types);
    replacements.put("time.precision.mode", types);
    replacements.put("interval.handling.mode", types);
    replacements.put("binary.handling.mode", types);
    replacements.put("hstore.handling.mode", types);
    replacements.put("money.fraction.digits", types);
    replacements.put("include.unknown.datatypes", types);
    replacements.put("datatype.propagate.source.type", types);
    replacements.put("unavailable.value.placeholder", types);
    replacements.put(
        "retriable.restart.connector.wait.ms", "Datis sets it (2 s) to reconnect quickly");
    replacements.put("message.prefix.", "Datis decides which logical decoding messages it reads");
    replacements.put(
        "statistics.metrics.enabled", "Datis publishes its own metrics (metrics(MeterRegistry))");
    replacements.put(
        "offset.activity.monitor.interval.ms", "health() reports the replication slot's lag");
    replacements.put(
        "tombstones.on.delete", "Datis delivers deletes as DELETE events, never as tombstones");
    replacements.put("event.processing.failure.handling.mode", "use errorPolicy(ErrorPolicy)");
    replacements.put("slot.drop.on.stop", "use retire() to drop a pipeline's slot for good");
    replacements.put("signal.", "use Pipeline.snapshot(...)");
    replacements.put("notification.", "Datis reports snapshot progress in health() and metrics");
    replacements.put("incremental.snapshot.", "Datis runs incremental snapshots itself");
    replacements.put("read.only", "Datis runs incremental snapshots itself");
    replacements.put(
        "provide.transaction.metadata", "Datis needs transaction ends to commit safely");
    return Collections.unmodifiableMap(replacements);
  }

  /** Why the property may not be set, with what to use instead; {@code null} if it may. */
  public static @Nullable String refusal(String key) {
    if (ALLOWED.contains(key)) {
      return null;
    }
    String replacement = replacementFor(key);
    StringBuilder message =
        new StringBuilder("Debezium property '").append(key).append("' cannot be set: ");
    if (replacement != null) {
      message.append(
          "Datis decides it, since it can change which events are delivered, how, or when they are committed");
    } else {
      message.append(
          "it is not among the expert properties Datis allows, which cannot change what is delivered or committed");
    }
    if (replacement != null) {
      message.append(". Instead, ").append(replacement);
    }
    return message
        .append(". Allowed: ")
        .append(String.join(", ", new TreeSet<>(ALLOWED)))
        .toString();
  }

  private static @Nullable String replacementFor(String key) {
    for (Map.Entry<String, String> entry : REPLACEMENTS.entrySet()) {
      String name = entry.getKey();
      boolean matches =
          name.endsWith(".")
              ? key.startsWith(name)
              : key.equals(name) || key.startsWith(name + ".");
      if (matches) {
        return entry.getValue();
      }
    }
    return null;
  }
}
