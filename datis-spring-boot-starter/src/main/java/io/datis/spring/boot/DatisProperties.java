package io.datis.spring.boot;

import io.datis.ErrorPolicy;
import io.datis.SnapshotMode;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Datis's settings under {@code datis.*}: the PostgreSQL source and the pipelines that the
 * application runs.
 *
 * <pre>
 * datis:
 *   source:
 *     jdbc-url: jdbc:postgresql://db.internal:5432/shop
 *     user: datis
 *     password: ${DATIS_PASSWORD}
 *   pipelines:
 *     orders:
 *       tables: public.orders, public.order_lines
 *       offsets.store: postgres
 *       transforms: maskEmails
 *       pubsub:
 *         project: my-project
 *         topic: orders-cdc
 * </pre>
 *
 * <p>A setting left out takes Datis's default, the one {@code PipelineBuilder} and {@code
 * PubSubSink.Builder} document. Every problem is reported at startup, naming the property and the
 * fix.
 *
 * <p>The descriptions of the {@code @param} tags below, and of {@link Source}'s, are the ones IDEs
 * show from the configuration metadata, so they are plain text, code in backticks.
 *
 * @param enabled Whether to enable Datis's auto-configuration.
 * @param autoStartup Whether the pipelines start with the application context. With `false`, call
 *     `DatisPipelines.start()` yourself.
 * @param stopApplicationOnPipelineFailure Whether a pipeline that fails, when starting or later,
 *     stops the application: a failure at start fails the application's start, a later one closes
 *     the application context and ends the process with `datis.exit-code-on-pipeline-failure`. A
 *     failed pipeline never recovers by itself; a new instance resumes from the committed offsets.
 *     With `false` the application runs on and the pipeline's health says `DOWN`, with the reason.
 * @param exitCodeOnPipelineFailure Exit status of the process when a pipeline that failed after
 *     start stops the application, 0 to 255. The process exits only when the application was
 *     started from its main method (`java -jar`, an IDE), never in tests. The code is also what
 *     `SpringApplication.exit` returns once a pipeline has failed. With 0, the context closes and
 *     the process ends by itself, with status 0.
 * @param source The PostgreSQL database to capture from. When not set, `spring.datasource.url`,
 *     `.username` and `.password` are used, if the URL is a PostgreSQL one.
 * @param pipelines Pipelines by name, such as `datis.pipelines.orders.tables`. The name also names
 *     the replication slot and publication (`datis_orders` for `orders`), the offsets, and the
 *     pipeline's health and metrics. Each pipeline takes: `tables`, `slot-name`,
 *     `publication-name`, `snapshot` (`initial`, `changes-only`), `offsets.store` (`file`,
 *     `postgres`, `in-memory`), `offsets.file`, `offsets.table`, `max-batch-size`,
 *     `max-in-flight-events`, `max-in-flight-bytes`, `close-timeout`, `error-policy` (`fail`,
 *     `skip`, `dead-letter`), `dead-letter-sink`, `slot-lag-threshold`, `resnapshot-if-slot-lost`,
 *     `standby`, `transforms`, `sink`, `debezium.*` and `pubsub.*` (`project`, `topic`, `format`,
 *     `ordering-keys`, `ordering-buckets`, `emulator-host`, `endpoint`, `region`,
 *     `create-topic-if-missing`, `dead-letter-topic`, `batching.*`, `flow-control.*`,
 *     `compression`, `publish-timeout`, `start-timeout`, `close-timeout`, `attributes.*`), as
 *     documented on `DatisProperties.Pipeline`.
 */
@ConfigurationProperties("datis")
public record DatisProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("true") boolean autoStartup,
    @DefaultValue("true") boolean stopApplicationOnPipelineFailure,
    @DefaultValue("1") int exitCodeOnPipelineFailure,
    @DefaultValue Source source,
    Map<String, Pipeline> pipelines) {

  /** Copies the pipelines, keeping their order; none when {@code pipelines} is not set. */
  public DatisProperties {
    pipelines = copy(pipelines);
  }

  /**
   * The PostgreSQL database that the pipelines capture from: either {@code jdbc-url}, or {@code
   * host}, {@code port} and {@code database}; and {@code user} and {@code password}.
   *
   * @param jdbcUrl JDBC URL of the database, `jdbc:postgresql://host[:port]/database`, possibly
   *     with `?key=value` parameters, without user or password.
   * @param host Host name or address of the server, instead of `jdbc-url`.
   * @param port Port of the server, with `host`. Default 5432.
   * @param database Database to capture from, with `host`.
   * @param user User to log in as. It needs the REPLICATION attribute, or to be a superuser.
   * @param password Password of the user. Never logged.
   * @param connectionProperties Extra JDBC connection properties of the PostgreSQL driver, such as
   *     `sslmode: require`.
   */
  public record Source(
      @Nullable String jdbcUrl,
      @Nullable String host,
      @Nullable Integer port,
      @Nullable String database,
      @Nullable String user,
      @Nullable String password,
      Map<String, String> connectionProperties) {

    /** Copies the connection properties, keeping their order; none when not set. */
    public Source {
      connectionProperties = copy(connectionProperties);
    }
  }

  /**
   * One pipeline, {@code datis.pipelines.<name>.*}. Required: {@code tables}, and either a {@code
   * pubsub} block or a {@code sink} bean.
   *
   * @param tables the schema-qualified tables to capture, such as {@code public.orders}
   * @param slotName the replication slot to read (default {@code datis_<name>}), created when
   *     missing
   * @param publicationName the publication to use (default {@code datis_<name>}), created when
   *     missing
   * @param snapshot {@code initial} (existing rows first, the default) or {@code changes-only}
   * @param offsets where the pipeline keeps its offsets (default the file {@code
   *     datis-offsets/<name>.offsets})
   * @param maxBatchSize the most events per sink batch (default 2048)
   * @param maxInFlightEvents the most events delivered but not acknowledged; capture pauses beyond
   *     (default 20,000)
   * @param maxInFlightBytes the most (estimated) bytes delivered but not acknowledged, such as
   *     {@code 64MB} (default an eighth of the heap)
   * @param closeTimeout how long closing waits for the sink's outstanding batches (default a third
   *     of {@code spring.lifecycle.timeout-per-shutdown-phase}, so that the pipeline closes within
   *     Spring's shutdown phase)
   * @param errorPolicy what to do with an event that a transform fails on or the sink reports
   *     undeliverable: {@code fail} (default), {@code skip} or {@code dead-letter}
   * @param deadLetterSink the name of the {@code DeadLetterSink} bean that takes those events;
   *     implies {@code error-policy: dead-letter}
   * @param slotLagThreshold the replication slot lag over which health is {@code DEGRADED} (default
   *     1GB)
   * @param resnapshotIfSlotLost start over (new slot, tables read again) instead of failing when
   *     the replication slot was lost (default {@code false})
   * @param standby whether a start while another instance runs this pipeline waits as a standby
   *     that takes over (default {@code true}), or fails
   * @param transforms the names of the {@code Transform} beans to apply, in this order
   * @param sink the name of the {@code Sink} bean that receives the events, instead of a {@code
   *     pubsub} block
   * @param debezium expert Debezium connector settings that tune timing, fetching and retries, such
   *     as {@code heartbeat.interval.ms} (the README lists the allowed ones)
   * @param pubsub a Pub/Sub sink (needs {@code io.datis:datis-pubsub}), instead of {@code sink}
   */
  public record Pipeline(
      List<String> tables,
      @Nullable String slotName,
      @Nullable String publicationName,
      @Nullable SnapshotMode snapshot,
      @DefaultValue Offsets offsets,
      @Nullable Integer maxBatchSize,
      @Nullable Integer maxInFlightEvents,
      @Nullable DataSize maxInFlightBytes,
      @Nullable Duration closeTimeout,
      ErrorPolicy.@Nullable Kind errorPolicy,
      @Nullable String deadLetterSink,
      @Nullable DataSize slotLagThreshold,
      @DefaultValue("false") boolean resnapshotIfSlotLost,
      @DefaultValue("true") boolean standby,
      List<String> transforms,
      @Nullable String sink,
      Map<String, String> debezium,
      @Nullable PubSub pubsub) {

    /** Copies the lists and maps; empty when not set. */
    public Pipeline {
      tables = copy(tables);
      transforms = copy(transforms);
      debezium = copy(debezium);
    }
  }

  /**
   * Where a pipeline keeps its offsets: {@code store}, or just {@code file} or {@code table}.
   *
   * @param store {@code file} (the default), {@code postgres} or {@code in-memory}
   * @param file the offsets file, for the {@code file} store (default {@code
   *     datis-offsets/<name>.offsets} in the working directory)
   * @param table the offsets table ({@code schema.table}) in the captured database, for the {@code
   *     postgres} store (default {@code public.datis_offsets})
   */
  public record Offsets(@Nullable Store store, @Nullable String file, @Nullable String table) {}

  /** Where offsets live. */
  public enum Store {
    /** A local file, written crash-safe after each commit. */
    FILE,
    /** A table of the captured database, for containers without a persistent disk. */
    POSTGRES,
    /** Memory only, lost when the pipeline stops: for tests and demos. */
    IN_MEMORY
  }

  /**
   * A Pub/Sub sink, {@code datis.pipelines.<name>.pubsub.*}. Required: {@code project} and {@code
   * topic}.
   *
   * @param project the Google Cloud project id
   * @param topic the topic id, such as {@code orders-cdc}
   * @param format the message format: {@code datis-json} (default), {@code debezium-json}, {@code
   *     cloud-events} or {@code cloud-events-binary}
   * @param orderingKeys {@code table-and-primary-key} (the default: each row's changes in order),
   *     {@code table-and-key-bucket} (with {@code ordering-buckets}) or {@code none}
   * @param orderingBuckets the number of buckets (1 to 10,000) each table's rows hash to, as
   *     ordering keys; implies {@code ordering-keys: table-and-key-bucket}
   * @param emulatorHost an emulator at {@code host:port} (plaintext, no credentials), instead of
   *     Pub/Sub; {@code PUBSUB_EMULATOR_HOST} is used when set
   * @param endpoint a Pub/Sub endpoint, such as {@code us-east1-pubsub.googleapis.com:443}
   * @param region a region whose endpoint to use, such as {@code us-east1}
   * @param createTopicIfMissing create the topic at start when missing, for development (default
   *     {@code false})
   * @param deadLetterTopic a topic (id or full name) that takes the messages over Pub/Sub's limits
   *     instead of failing them
   * @param batching the largest publish request
   * @param flowControl the most messages and bytes published but not acknowledged
   * @param compression whether to compress publish requests with gzip (default {@code false})
   * @param publishTimeout how long one publish request may take before it is sent again (default
   *     60s)
   * @param startTimeout how long to wait for Pub/Sub when checking the topic at start (default 15s)
   * @param closeTimeout how long closing waits for outstanding publishes (default a third of {@code
   *     spring.lifecycle.timeout-per-shutdown-phase})
   * @param attributes attributes added to every message, such as {@code env: prod}
   */
  public record PubSub(
      @Nullable String project,
      @Nullable String topic,
      @Nullable Format format,
      @Nullable OrderingKeyChoice orderingKeys,
      @Nullable Integer orderingBuckets,
      @Nullable String emulatorHost,
      @Nullable String endpoint,
      @Nullable String region,
      @DefaultValue("false") boolean createTopicIfMissing,
      @Nullable String deadLetterTopic,
      @DefaultValue Batching batching,
      @DefaultValue FlowControl flowControl,
      @DefaultValue("false") boolean compression,
      @Nullable Duration publishTimeout,
      @Nullable Duration startTimeout,
      @Nullable Duration closeTimeout,
      Map<String, String> attributes) {

    /** Copies the attributes, keeping their order; none when not set. */
    public PubSub {
      attributes = copy(attributes);
    }
  }

  /**
   * The largest Pub/Sub publish request.
   *
   * @param maxMessages the most messages per request, 1 to 1,000 (default 1,000)
   * @param maxBytes the most bytes per request, up to {@code 10MB} (default {@code 5MB})
   */
  public record Batching(@Nullable Long maxMessages, @Nullable DataSize maxBytes) {}

  /**
   * The most Pub/Sub messages and bytes published but not acknowledged; publishing blocks beyond,
   * which pauses capture.
   *
   * @param maxOutstandingMessages the most messages (default 5,000)
   * @param maxOutstandingBytes the most bytes, at least {@code 10MB} (default {@code 200MB})
   */
  public record FlowControl(
      @Nullable Long maxOutstandingMessages, @Nullable DataSize maxOutstandingBytes) {}

  // The binder passes null for a list or map that is not set.
  private static <K, V> Map<K, V> copy(@Nullable Map<K, V> map) {
    return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  private static <T> List<T> copy(@Nullable List<T> list) {
    return list == null ? List.of() : List.copyOf(list);
  }

  /** The Pub/Sub message formats. */
  public enum Format {
    /** The Datis JSON envelope (the default). */
    DATIS_JSON,
    /** A Debezium-compatible JSON envelope. */
    DEBEZIUM_JSON,
    /** CloudEvents 1.0, structured mode. */
    CLOUD_EVENTS,
    /** CloudEvents 1.0, binary mode. */
    CLOUD_EVENTS_BINARY
  }

  /** How the Pub/Sub sink chooses ordering keys. */
  public enum OrderingKeyChoice {
    /** One key per row: each row's changes in order (the default). */
    TABLE_AND_PRIMARY_KEY,
    /** The table and one of {@code ordering-buckets} buckets the row's key hashes to. */
    TABLE_AND_KEY_BUCKET,
    /** No ordering key. */
    NONE
  }
}
