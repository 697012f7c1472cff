package io.datis.pubsub.internal;

/**
 * The Pub/Sub attribute names Datis sets. The first seven {@code datis-*} ones are on every
 * message, whatever the format, and the others on dead letters only; {@link #TRACE_PARENT} on every
 * message of a traced pipeline; the {@code ce-*} ones only in the CloudEvents binary format, and
 * {@code content-type} in both CloudEvents formats. User attributes can use none of them, nor any
 * other name starting with {@code datis-} or {@code ce-}.
 */
public final class AttributeNames {

  /** The table, {@code schema.table}. */
  public static final String TABLE = "datis-table";

  /**
   * The operation: {@code INSERT}, {@code UPDATE}, {@code DELETE}, {@code TRUNCATE}, {@code
   * SNAPSHOT_READ}.
   */
  public static final String OPERATION = "datis-operation";

  /** The LSN in PostgreSQL's notation, e.g. {@code 0/16B3748}. */
  public static final String LSN = "datis-lsn";

  /** The transaction id, in decimal (0 for snapshot reads). */
  public static final String TRANSACTION_ID = "datis-txid";

  /** The change's sequence within its transaction, in decimal. */
  public static final String SEQUENCE = "datis-sequence";

  /** The commit time, ISO-8601 in UTC, e.g. {@code 2026-01-02T03:04:05.123456Z}. */
  public static final String COMMIT_TIME = "datis-commit-time";

  /** The event id (see {@link EventIds}). */
  public static final String EVENT_ID = "datis-event-id";

  /**
   * On dead letters only: where the event failed, {@code TRANSFORM} or {@code SINK} (see {@code
   * io.datis.api.sink.DeadLetter.Stage}).
   */
  public static final String ERROR_STAGE = "datis-error-stage";

  /**
   * On dead letters only: the class name of the error, e.g. {@code
   * io.datis.api.TransformException}.
   */
  public static final String ERROR_TYPE = "datis-error-type";

  /**
   * On dead letters only: the error's message, which holds no row values; cut to Pub/Sub's 1,024
   * bytes between characters, ending in {@code …} when cut.
   */
  public static final String ERROR_REASON = "datis-error-reason";

  /** On dead letters only: when the event failed, ISO-8601 in UTC. */
  public static final String FAILED_AT = "datis-failed-at";

  /**
   * On dead letters only, when the message describes the event instead of holding it: {@code
   * message-too-large} (the event's message breaks Pub/Sub's limits) or {@code not-encodable} (it
   * cannot be encoded, e.g. an attribute function failed on it).
   */
  public static final String ERROR = "datis-error";

  /**
   * On messages of {@code deadLetterTopic(...)} only: the topic the event was meant for, {@code
   * projects/p/topics/t}.
   */
  public static final String ORIGINAL_TOPIC = "datis-original-topic";

  /**
   * When the pipeline traces ({@code PipelineBuilder.tracing}): the W3C trace context of the
   * delivery's span ({@code ChangeEvent.traceParent()}), under the name where Pub/Sub's client
   * libraries read it when their OpenTelemetry tracing is on, so a subscriber's spans continue the
   * trace.
   */
  public static final String TRACE_PARENT = "googclient_traceparent";

  /** CloudEvents binary mode: the spec version, {@code 1.0}. */
  public static final String CE_SPECVERSION = "ce-specversion";

  /** CloudEvents binary mode: the event id. */
  public static final String CE_ID = "ce-id";

  /** CloudEvents binary mode: {@code /datis/{pipeline}/{database}}. */
  public static final String CE_SOURCE = "ce-source";

  /** CloudEvents binary mode: {@code io.datis.change.{operation}}. */
  public static final String CE_TYPE = "ce-type";

  /** CloudEvents binary mode: {@code schema.table}. */
  public static final String CE_SUBJECT = "ce-subject";

  /** CloudEvents binary mode: the commit time. */
  public static final String CE_TIME = "ce-time";

  /**
   * CloudEvents: in binary mode the data's content type, {@code application/json}; in structured
   * mode the event format, {@code application/cloudevents+json; charset=UTF-8}.
   */
  public static final String CONTENT_TYPE = "content-type";

  private static final String DATIS_PREFIX = "datis-";
  private static final String CLOUD_EVENTS_PREFIX = "ce-";

  private AttributeNames() {}

  /** Whether user attributes may not use this name. */
  public static boolean isReserved(String name) {
    return name.startsWith(DATIS_PREFIX)
        || name.startsWith(CLOUD_EVENTS_PREFIX)
        || name.equals(CONTENT_TYPE);
  }
}
