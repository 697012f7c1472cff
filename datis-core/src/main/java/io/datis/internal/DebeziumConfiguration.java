package io.datis.internal;

import io.datis.OffsetStore;
import io.datis.SnapshotMode;
import io.datis.api.event.TableId;
import io.datis.postgres.PostgresSource;
import io.datis.postgres.internal.SourcePasswords;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The Debezium engine and PostgreSQL connector settings for one pipeline. Everything that Datis's
 * guarantees depend on is fixed here: pgoutput, transaction metadata (to commit only at transaction
 * boundaries), the value handling the converters expect, and Datis's own TOAST placeholder.
 */
final class DebeziumConfiguration {

  private static final Pattern REGEX_SPECIAL = Pattern.compile("([\\\\.\\[\\]{}()*+?^$|])");

  private DebeziumConfiguration() {}

  /** The Kafka Connect topic prefix, which Debezium also uses as the logical server name. */
  static String topicPrefix(PipelineSettings settings) {
    return "datis_" + settings.name().replaceAll("[^A-Za-z0-9_]", "_");
  }

  /**
   * The topic of Debezium's notifications (incremental snapshot progress), which the pipeline
   * reads.
   */
  static String notificationTopic(PipelineSettings settings) {
    return topicPrefix(settings) + ".notifications";
  }

  /**
   * @param typesId the id under which the pipeline registered its {@link PostgresTypes}, for the
   *     {@link ColumnTypeConverter}
   * @param identities each captured table's replica identity, which decides its key
   */
  static Properties of(
      PipelineSettings settings, String typesId, Map<TableId, ReplicaIdentity> identities) {
    PostgresSource source = settings.source();
    Properties props = new Properties();
    props.setProperty("name", settings.name());
    props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    props.setProperty("topic.prefix", topicPrefix(settings));

    props.setProperty("database.hostname", source.host());
    props.setProperty("database.port", Integer.toString(source.port()));
    props.setProperty("database.dbname", source.database());
    props.setProperty("database.user", source.user());
    props.setProperty("database.password", SourcePasswords.of(source));
    for (Map.Entry<String, String> property : source.connectionProperties().entrySet()) {
      props.setProperty("driver." + property.getKey(), property.getValue());
    }
    // Snapshots read every value in PostgreSQL's text form, as streaming does, so that the column
    // converter sees the same text either way (a binary array's text is rebuilt by the driver).
    props.setProperty("driver.binaryTransfer", "false");
    // The text of intervals and money depends on session settings that a database or role may
    // change (IntervalStyle sql_standard, an lc_monetary with ',' decimals): pin the forms Datis
    // and Debezium read.
    String options = source.connectionProperties().get("options");
    props.setProperty(
        "driver.options",
        (options == null ? "" : options + " ") + "-c IntervalStyle=postgres -c lc_monetary=C");

    props.setProperty("plugin.name", "pgoutput");
    props.setProperty("slot.name", settings.slotName());
    props.setProperty("publication.name", settings.publicationName());
    // Datis creates and updates the publication itself, before the slot, with clear errors.
    props.setProperty("publication.autocreate.mode", "disabled");
    props.setProperty("table.include.list", includeList(settings));
    props.setProperty(
        "snapshot.mode", settings.snapshotMode() == SnapshotMode.INITIAL ? "initial" : "no_data");
    props.setProperty("skipped.operations", "none");
    props.setProperty("tombstones.on.delete", "false");
    props.setProperty("provide.transaction.metadata", "true");
    // Lets the driver confirm server keepalive positions, but only once everything received has
    // been committed: the slot then advances while the captured tables are idle and other tables
    // write WAL.
    props.setProperty("lsn.flush.mode", "connector_and_driver");
    // So the slot can stand ahead of the stored offsets: after a crash (or a fenced instance) that
    // followed such a confirmation, the slot's restart_lsn may pass the last offset stored, with
    // nothing captured in between. Debezium's default check then refuses to start for good ("no
    // longer available on the server"); this starts from the slot instead. Datis itself detects a
    // slot that was lost, invalidated, or moved while the pipeline was stopped (SlotMarker).
    props.setProperty("offset.mismatch.strategy", "trust_greater_lsn");

    props.setProperty("decimal.handling.mode", "precise");
    props.setProperty("time.precision.mode", "adaptive_time_microseconds");
    props.setProperty("interval.handling.mode", "string");
    props.setProperty("binary.handling.mode", "bytes");
    props.setProperty("hstore.handling.mode", "map");
    props.setProperty("unavailable.value.placeholder", ToastPlaceholder.TEXT);
    // Columns whose values Debezium would drop or bend reach Datis as PostgreSQL's text, through
    // Datis's converter; types Debezium does not know must then reach that converter as text, not
    // as nothing.
    props.setProperty("converters", ColumnTypeConverter.NAME);
    props.setProperty(ColumnTypeConverter.NAME + ".type", ColumnTypeConverter.class.getName());
    props.setProperty(ColumnTypeConverter.NAME + "." + ColumnTypeConverter.TYPES, typesId);
    props.setProperty("include.unknown.datatypes", "true");
    // Each field's schema names its PostgreSQL type, so that an error can say which type it could
    // not read.
    props.setProperty("column.propagate.source.type", ".*");
    String keys = keyColumns(identities);
    if (!keys.isEmpty()) {
      props.setProperty("message.key.columns", keys);
    }

    // Tables are read again (added tables, Pipeline.snapshot) by incremental snapshots, asked for
    // by rows in the signal table that Debezium reads from the WAL; it marks each chunk there too,
    // and reports progress as notifications in the stream of records.
    props.setProperty("signal.enabled.channels", "source");
    props.setProperty(
        "signal.data.collection", SignalTable.of(settings.slotName()).table().toString());
    props.setProperty("incremental.snapshot.watermarking.strategy", "insert_delete");
    props.setProperty("notification.enabled.channels", "sink");
    props.setProperty("notification.sink.topic.name", notificationTopic(settings));

    // Debezium hands over a batch once it is full or this long after it began to wait for one: the
    // default 500 ms would be most of the commit-to-delivery latency below full load. Lower costs
    // CPU while idle: Debezium 3.7's queue spins for the last millisecond of every wait (its timer
    // counts whole milliseconds), about 1 ms of CPU per wait. Users may set it (README, Latency).
    props.setProperty("poll.interval.ms", "50");
    // The lag percentiles of Debezium's JMX metrics, which Datis does not read, cost a sketch
    // update per event. Their collector's queue (1,000 samples, not configurable) is fed for every
    // event even so, and under sustained load on two cores its thread still falls behind now and
    // then: the "queue is full" warnings that remain are Debezium's and drop only lag samples.
    props.setProperty("statistics.metrics.enabled", "false");
    // Debezium 3.7 warns every 10 minutes that offsets have not moved when the captured tables are
    // idle; Datis reports the slot's lag in health() instead.
    props.setProperty("offset.activity.monitor.interval.ms", "0");
    // After a lost connection (PostgreSQL restarted), reconnect after 2 s, not Debezium's 10 s.
    props.setProperty("retriable.restart.connector.wait.ms", "2000");
    props.setProperty("max.batch.size", Integer.toString(settings.maxBatchSize()));
    props.setProperty(
        "max.queue.size", Integer.toString(Math.max(8192, settings.maxBatchSize() * 4)));
    // Bounded by bytes too, like the events in flight: 8,192 wide rows would not fit in a small
    // heap.
    props.setProperty("max.queue.size.in.bytes", Long.toString(settings.maxInFlightBytes()));

    offsetStorage(settings, props);
    // Datis decides when to commit (only acknowledged transactions); the engine flushes each time
    // it asks.
    props.setProperty("offset.flush.interval.ms", "0");
    props.setProperty("offset.flush.timeout.ms", "10000");

    settings.debeziumProperties().forEach(props::setProperty);
    return props;
  }

  private static void offsetStorage(PipelineSettings settings, Properties props) {
    OffsetStore offsets = settings.offsets();
    Path file = offsets.file().orElse(null);
    TableId table = offsets.table().orElse(null);
    if (file != null) {
      props.setProperty("offset.storage", FileOffsetStore.class.getName());
      props.setProperty(FileOffsetStore.FILE, file.toAbsolutePath().toString());
    } else if (table != null) {
      PostgresSource database = offsets.database().orElse(settings.source());
      props.setProperty("offset.storage", PostgresOffsetBackingStore.class.getName());
      props.setProperty(PostgresOffsetBackingStore.URL, database.jdbcUrl());
      props.setProperty(PostgresOffsetBackingStore.USER, database.user());
      props.setProperty(PostgresOffsetBackingStore.PASSWORD, SourcePasswords.of(database));
      props.setProperty(PostgresOffsetBackingStore.TABLE, SqlIdentifiers.quote(table));
      props.setProperty(PostgresOffsetBackingStore.PIPELINE, settings.name());
    } else {
      props.setProperty(
          "offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    }
  }

  /** Debezium matches table names as regular expressions; quote them so that '.' means a dot. */
  private static String includeList(PipelineSettings settings) {
    return settings.tables().stream()
        .map(DebeziumConfiguration::quoted)
        .collect(Collectors.joining(","));
  }

  /**
   * Debezium keys a table without a primary key by its first unique index; a table identified by
   * another index ({@code REPLICA IDENTITY USING INDEX}) is keyed by that one, whose columns its
   * old rows hold.
   */
  private static String keyColumns(Map<TableId, ReplicaIdentity> identities) {
    return identities.values().stream()
        .filter(identity -> identity.primaryKey().isEmpty() && !identity.keyColumns().isEmpty())
        .map(identity -> quoted(identity.table()) + ":" + String.join(",", identity.keyColumns()))
        .collect(Collectors.joining(";"));
  }

  private static String quoted(TableId table) {
    return REGEX_SPECIAL.matcher(table.toString()).replaceAll("\\\\$1");
  }
}
