package io.datis.pubsub;

import io.datis.api.event.ChangeEvent;
import io.datis.pubsub.internal.JsonMessageEncoder;
import io.datis.pubsub.internal.JsonMessageEncoder.Layout;
import io.datis.pubsub.internal.MessageEncoder;
import io.datis.pubsub.internal.UserAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * How the Pub/Sub sink writes each change event as a message: the JSON in the message data, and the
 * message attributes. Choose one of the four formats; {@link #datisJson()} is the default. Every
 * format is UTF-8 JSON without whitespace, one event per message (the examples below are indented
 * for reading).
 *
 * <h2>Attributes on every message</h2>
 *
 * <p>Whatever the format, every message carries these attributes, so subscriptions can filter on
 * them (e.g. {@code attributes.datis-table = "public.orders"}) without parsing the data:
 *
 * <table>
 *   <caption>Standard attributes</caption>
 *   <tr><th>Attribute</th><th>Value</th><th>Example</th></tr>
 *   <tr><td>{@code datis-table}</td><td>the table, {@code schema.table}</td>
 *       <td>{@code public.orders}</td></tr>
 *   <tr><td>{@code datis-operation}</td>
 *       <td>{@code INSERT}, {@code UPDATE}, {@code DELETE}, {@code TRUNCATE} or
 *       {@code SNAPSHOT_READ}</td>
 *       <td>{@code UPDATE}</td></tr>
 *   <tr><td>{@code datis-lsn}</td><td>the change's LSN, in PostgreSQL's notation</td>
 *       <td>{@code 0/16B3748}</td></tr>
 *   <tr><td>{@code datis-txid}</td><td>the transaction id (0 for snapshot reads)</td>
 *       <td>{@code 571}</td></tr>
 *   <tr><td>{@code datis-sequence}</td>
 *       <td>the change's position within its transaction, from 1</td>
 *       <td>{@code 3}</td></tr>
 *   <tr><td>{@code datis-commit-time}</td><td>the commit time, ISO-8601 UTC</td>
 *       <td>{@code 2026-01-02T03:04:05.123456Z}</td></tr>
 *   <tr><td>{@code datis-event-id}</td><td>the event id (below)</td>
 *       <td>{@code 00000000016B3748-571-3}</td></tr>
 * </table>
 *
 * <p>The <b>event id</b> is derived from the change's position only: the LSN as 16 upper-case
 * hexadecimal digits, the transaction id and the sequence, joined by {@code -}. A change delivered
 * again (delivery is at least once, for example after a restart) carries the same id, so
 * subscribers can deduplicate on it.
 *
 * <p>Add your own attributes with {@link PubSubSink.Builder#attribute(String, String)} and {@link
 * PubSubSink.Builder#attributes(java.util.function.Function)}. Names starting with {@code datis-}
 * or {@code ce-}, and {@code content-type}, are reserved: yours never replace Datis's.
 *
 * <h2 id="dead-letters">Attributes of dead letters</h2>
 *
 * <p>A {@code PubSubSink} that serves as a pipeline's dead-letter sink ({@code
 * ErrorPolicy.deadLetter(sink)}) publishes each event the pipeline could not process in its format,
 * with the attributes above and these ones. The descriptions that {@link
 * PubSubSink.Builder#deadLetterTopic} publishes carry them too.
 *
 * <table>
 *   <caption>Dead-letter attributes</caption>
 *   <tr><th>Attribute</th><th>Value</th><th>Example</th></tr>
 *   <tr><td>{@code datis-error-stage}</td>
 *       <td>where the event failed: {@code TRANSFORM} (a transform threw or broke its contract; the
 *       event is as captured, before any transform) or {@code SINK} (the main sink reported it
 *       undeliverable; the event is as the sink got it)</td>
 *       <td>{@code TRANSFORM}</td></tr>
 *   <tr><td>{@code datis-error-type}</td><td>the class name of the error</td>
 *       <td>{@code io.datis.api.TransformException}</td></tr>
 *   <tr><td>{@code datis-error-reason}</td>
 *       <td>the error's message, which names the problem but holds no row values; cut to Pub/Sub's
 *       limit of 1,024 bytes (UTF-8) between two characters, ending in {@code …} when cut</td>
 *       <td>{@code Transform #1 'parse-address' failed on INSERT of public.orders at lsn 0/16B3748 tx
 *       571 #3: it threw java.lang.IllegalArgumentException (the cause holds its message)}</td></tr>
 *   <tr><td>{@code datis-failed-at}</td>
 *       <td>when the pipeline gave up on the event, ISO-8601 UTC</td>
 *       <td>{@code 2026-01-02T03:04:06.250Z}</td></tr>
 *   <tr><td>{@code datis-error}</td>
 *       <td>only when the message describes the event instead of holding it: {@code
 *       message-too-large} (the event's message breaks Pub/Sub's limits, typically a row over 10 MB)
 *       or {@code not-encodable} (the event cannot be encoded, e.g. your attribute function failed
 *       on it)</td>
 *       <td>{@code message-too-large}</td></tr>
 *   <tr><td>{@code datis-original-topic}</td>
 *       <td>only on descriptions published to a {@code deadLetterTopic}: the topic the event was
 *       meant for</td>
 *       <td>{@code projects/my-project/topics/orders}</td></tr>
 * </table>
 *
 * <p>Dead letters have no ordering key. A description's data is a JSON object naming the event,
 * never its row values, and it carries the {@code datis-*} attributes only (not yours, nor the
 * CloudEvents ones):
 *
 * <pre>{@code
 * {
 *   "error": "message for public.attachments (key columns [id]) at lsn 0/16B3748 tx 571 #3 is
 *             14,667,168 bytes, over Pub/Sub's 10 MB limit (10,000,000 bytes)",
 *   "table": "public.attachments",
 *   "operation": "INSERT",
 *   "keyColumns": ["id"],
 *   "lsn": "0/16B3748",
 *   "txId": 571,
 *   "sequence": 3
 * }
 * }</pre>
 *
 * <h2 id="values">Column values</h2>
 *
 * <p>Row images are JSON objects of column name to value, in table column order. Values are written
 * the same way in every format, with full precision:
 *
 * <table>
 *   <caption>Value encoding</caption>
 *   <tr><th>PostgreSQL</th><th>Java</th><th>JSON</th><th>Example</th></tr>
 *   <tr><td>{@code smallint}, {@code integer}, {@code bigint}</td>
 *       <td>{@code Short}, {@code Integer}, {@code Long}</td>
 *       <td>number</td><td>{@code 42}</td></tr>
 *   <tr><td>{@code numeric}, {@code money}</td><td>{@code BigDecimal}; {@code Double} for {@code
 *       NaN} and {@code ±Infinity}</td>
 *       <td>string, plain notation, exact (JSON numbers lose digits in most parsers); {@code "NaN"},
 *       {@code "Infinity"}, {@code "-Infinity"}</td>
 *       <td>{@code "123456789012345678901234567890.123456789"}</td></tr>
 *   <tr><td>{@code real}, {@code double precision}</td><td>{@code Float}, {@code Double}</td>
 *       <td>number that reads back to the same value; {@code "NaN"}, {@code "Infinity"}, {@code
 *       "-Infinity"} as strings</td><td>{@code 0.25}</td></tr>
 *   <tr><td>{@code boolean}</td><td>{@code Boolean}</td><td>{@code true} / {@code false}</td>
 *       <td>{@code true}</td></tr>
 *   <tr><td>{@code text}, {@code varchar}, {@code char}, enums, and the types given as
 *       PostgreSQL's text (ranges, composites, geometric types, bit strings, {@code inet}, ...: see
 *       the README's type table)</td>
 *       <td>{@code String}</td><td>string</td>
 *       <td>{@code "paid"}, {@code "[1,10)"}</td></tr>
 *   <tr><td>{@code uuid}</td><td>{@code UUID}</td><td>string</td>
 *       <td>{@code "1b4e28ba-2fa1-11d2-883f-0016d3cca427"}</td></tr>
 *   <tr><td>{@code json}, {@code jsonb}</td><td>{@code Json}</td>
 *       <td>the JSON itself, embedded as is (not quoted)</td>
 *       <td>{@code {"a": [1, 2.50, null]}}</td></tr>
 *   <tr><td>{@code bytea}</td><td>{@code byte[]}</td><td>string, base64 with padding</td>
 *       <td>{@code "AAEC/v8="}</td></tr>
 *   <tr><td>{@code date}</td><td>{@code LocalDate}</td><td>string, ISO-8601; {@code "infinity"}
 *       and {@code "-infinity"}</td>
 *       <td>{@code "2026-01-02"}</td></tr>
 *   <tr><td>{@code time}</td><td>{@code LocalTime}</td>
 *       <td>string, ISO-8601, seconds always present, fraction as written by PostgreSQL (up to
 *       microseconds); {@code "24:00:00"}</td><td>{@code "03:04:05.123456"}, {@code "03:04:00"}</td></tr>
 *   <tr><td>{@code timetz}</td><td>{@code OffsetTime}</td><td>string, ISO-8601 with offset</td>
 *       <td>{@code "03:04:05Z"}</td></tr>
 *   <tr><td>{@code timestamp}</td><td>{@code LocalDateTime}</td>
 *       <td>string, ISO-8601, no offset; {@code "infinity"} and {@code "-infinity"}</td>
 *       <td>{@code "2026-01-02T03:04:00"}</td></tr>
 *   <tr><td>{@code timestamptz}</td><td>{@code Instant}</td>
 *       <td>string, ISO-8601 in UTC with {@code Z}; {@code "infinity"} and {@code "-infinity"} for
 *       PostgreSQL's infinite timestamps</td><td>{@code "2026-01-02T03:04:05.123456Z"}</td></tr>
 *   <tr><td>{@code interval}</td><td>{@code Interval}</td>
 *       <td>string, ISO-8601 duration, each part with its own sign ({@link
 *       io.datis.api.event.Interval#toString()})</td><td>{@code "P-1Y-2M-3DT-1H-2M-3.5S"}</td></tr>
 *   <tr><td>arrays</td><td>{@code List} (nested for each dimension)</td><td>array</td>
 *       <td>{@code ["a",null]}, {@code [[1,2],[3,4]]}</td></tr>
 *   <tr><td>{@code hstore}</td><td>{@code Map}</td><td>object</td>
 *       <td>{@code {"k":"v","n":null}}</td></tr>
 *   <tr><td>{@code NULL}</td><td>{@code null}</td><td>{@code null}</td><td>{@code null}</td></tr>
 *   <tr><td>unchanged TOASTed value</td><td>{@code Unchanged.VALUE}</td>
 *       <td>depends on the format: left out and listed in {@code "unchanged"} (Datis,
 *       CloudEvents), or {@code "__debezium_unavailable_value"} (Debezium)</td><td></td></tr>
 * </table>
 *
 * <p>Times are written with the fraction in groups of three digits ({@code .5} is written {@code
 * .500}, {@code .1234} as {@code .123400}). A value of a type not in this table (put there by a
 * transform) cannot be encoded: publishing fails with an error naming the column, never its value.
 *
 * <h2>Ordering keys</h2>
 *
 * <p>The format does not choose the ordering key: see {@link OrderingKeys}.
 *
 * <p>Instances are immutable and thread-safe; {@code with*} methods return a new instance.
 */
public final class MessageFormat {

  private static final MessageFormat DATIS_JSON =
      new MessageFormat("datisJson", Layout.DATIS, UserAttributes.none());
  private static final MessageFormat DEBEZIUM_JSON =
      new MessageFormat("debeziumJson", Layout.DEBEZIUM, UserAttributes.none());
  private static final MessageFormat CLOUD_EVENTS =
      new MessageFormat("cloudEvents", Layout.CLOUD_EVENTS_STRUCTURED, UserAttributes.none());
  private static final MessageFormat CLOUD_EVENTS_BINARY =
      new MessageFormat("cloudEventsBinary", Layout.CLOUD_EVENTS_BINARY, UserAttributes.none());

  private final String name;
  private final JsonMessageEncoder encoder;

  private MessageFormat(String name, Layout layout, UserAttributes attributes) {
    this.name = name;
    this.encoder = new JsonMessageEncoder(layout, attributes);
  }

  /**
   * The Datis JSON envelope (the default). For an update of {@code public.orders} whose {@code
   * notes} column is an unchanged TOASTed value:
   *
   * <pre>{@code
   * {
   *   "eventId": "00000000016B3748-571-3",
   *   "op": "UPDATE",
   *   "table": {"schema": "public", "name": "orders"},
   *   "keyColumns": ["id"],
   *   "key": {"id": 10},
   *   "before": null,
   *   "after": {"id": 10, "status": "paid", "total": "19.90",
   *             "paid_at": "2026-01-02T03:04:05.123456Z"},
   *   "unchanged": ["notes"],
   *   "position": {"lsn": "0/16B3748", "txId": 571, "sequence": 3},
   *   "commitTime": "2026-01-02T03:04:05.123456Z"
   * }
   * }</pre>
   *
   * <table>
   *   <caption>Fields, always present, in this order</caption>
   *   <tr><th>Field</th><th>Meaning</th></tr>
   *   <tr><td>{@code eventId}</td>
   *       <td>the event id (see above; also attribute {@code datis-event-id})</td></tr>
   *   <tr><td>{@code op}</td>
   *       <td>{@code INSERT}, {@code UPDATE}, {@code DELETE}, {@code TRUNCATE} or
   *       {@code SNAPSHOT_READ}</td></tr>
   *   <tr><td>{@code table}</td><td>{@code schema} and {@code name} of the table</td></tr>
   *   <tr><td>{@code keyColumns}</td>
   *       <td>the primary key (or replica identity) columns in key order; {@code []} if
   *       none</td></tr>
   *   <tr><td>{@code key}</td>
   *       <td>the key columns' values, from {@code after}, or {@code before} for a delete;
   *       {@code {}} for truncates and tables without a key</td></tr>
   *   <tr><td>{@code before}</td>
   *       <td>the row before the change, or {@code null}: present for deletes (only the key under
   *       replica identity {@code DEFAULT}) and for updates under {@code REPLICA IDENTITY
   *       FULL}</td></tr>
   *   <tr><td>{@code after}</td>
   *       <td>the row after the change, or {@code null} for deletes and truncates</td></tr>
   *   <tr><td>{@code unchanged}</td>
   *       <td>the columns PostgreSQL did not send because they are unchanged and stored out of line
   *       (TOASTed); they are left out of the row images. Usually {@code []}</td></tr>
   *   <tr><td>{@code position}</td>
   *       <td>{@code lsn} (PostgreSQL notation), {@code txId} (0 for snapshot reads), {@code
   *       sequence} (the change's position within its transaction, from 1)</td></tr>
   *   <tr><td>{@code commitTime}</td>
   *       <td>when the transaction committed (for snapshot reads: when the row was read), ISO-8601
   *       UTC</td></tr>
   * </table>
   *
   * <p>Subscribers should ignore fields they do not know: later versions may add some.
   */
  public static MessageFormat datisJson() {
    return DATIS_JSON;
  }

  /**
   * A Debezium-compatible envelope, for subscribers written for Debezium's PostgreSQL connector
   * with the JSON converter and schemas disabled ({@code value.converter.schemas.enable=false}).
   * The same update as in {@link #datisJson()}, published by pipeline {@code shop-cdc} from
   * database {@code shop}:
   *
   * <pre>{@code
   * {
   *   "before": null,
   *   "after": {"id": 10, "status": "paid", "total": "19.90",
   *             "paid_at": "2026-01-02T03:04:05.123456Z",
   *             "notes": "__debezium_unavailable_value"},
   *   "source": {
   *     "version": "3.6.1.Final", "connector": "postgresql", "name": "shop-cdc",
   *     "ts_ms": 1767323045123, "snapshot": "false", "db": "shop",
   *     "sequence": "[null,\"23803720\"]",
   *     "ts_us": 1767323045123456, "ts_ns": 1767323045123456000,
   *     "schema": "public", "table": "orders", "txId": 571, "lsn": 23803720, "xmin": null
   *   },
   *   "transaction": {"id": "571:23803720", "total_order": 3, "data_collection_order": 3},
   *   "op": "u",
   *   "ts_ms": 1767323045200, "ts_us": 1767323045200000, "ts_ns": 1767323045200000000
   * }
   * }</pre>
   *
   * <ul>
   *   <li>{@code before}, {@code after}: the row images, as in Debezium. An unchanged TOASTed
   *       column holds Debezium's placeholder {@code "__debezium_unavailable_value"}, which is what
   *       code written for Debezium already checks for.
   *   <li>{@code op}: {@code c} insert, {@code u} update, {@code d} delete, {@code t} truncate,
   *       {@code r} snapshot read. Truncates have {@code before} and {@code after} {@code null}.
   *   <li>{@code source}: {@code version} is the Debezium version Datis embeds; {@code name} the
   *       pipeline name (Debezium's topic prefix); {@code ts_ms}, {@code ts_us}, {@code ts_ns} the
   *       commit time; {@code snapshot} {@code "true"} for snapshot reads, else {@code "false"};
   *       {@code db} the database; {@code txId} the transaction id; {@code lsn} the LSN as a
   *       number; {@code sequence} Debezium's string form {@code "[<last commit LSN>,<LSN>]"}, with
   *       the first element always {@code null} (Datis's sequence within the transaction is {@code
   *       transaction.total_order}).
   *   <li>{@code transaction}: {@code id} is {@code "<txId>:<LSN>"} with the change's own LSN, as
   *       Debezium 3 writes it (group a transaction's changes by {@code source.txId}); {@code
   *       total_order} is the change's position within the transaction, from 1; {@code
   *       data_collection_order} currently equals {@code total_order}. {@code null} for snapshot
   *       reads.
   *   <li>{@code ts_ms}, {@code ts_us}, {@code ts_ns} at the top: when the message was encoded.
   * </ul>
   *
   * <p>Values are written as in the <a href="#values">table above</a>, not with Debezium's default
   * converters: {@code numeric} as a string (like {@code decimal.handling.mode=string}), {@code
   * bytea} in base64 (like {@code binary.handling.mode=base64}), and dates and times as ISO-8601
   * strings rather than epoch numbers. Debezium's transaction BEGIN/END events are not published.
   */
  public static MessageFormat debeziumJson() {
    return DEBEZIUM_JSON;
  }

  /**
   * <a
   * href="https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md">CloudEvents
   * 1.0</a> in <a
   * href="https://github.com/googleapis/google-cloudevents/blob/main/docs/spec/pubsub.md">structured
   * mode</a>: the message data is a CloudEvent in JSON whose {@code data} is the {@link
   * #datisJson() Datis envelope}, and the attribute {@code content-type} is {@code
   * application/cloudevents+json; charset=UTF-8}, which tells CloudEvents SDKs to read the event
   * from the data. The same update, from pipeline {@code shop-cdc} and database {@code shop}:
   *
   * <pre>{@code
   * {
   *   "specversion": "1.0",
   *   "id": "00000000016B3748-571-3",
   *   "source": "/datis/shop-cdc/shop",
   *   "type": "io.datis.change.update",
   *   "subject": "public.orders",
   *   "time": "2026-01-02T03:04:05.123456Z",
   *   "datacontenttype": "application/json",
   *   "data": {"eventId": "00000000016B3748-571-3", "op": "UPDATE", ... as in datisJson() ...}
   * }
   * }</pre>
   *
   * <p>{@code id} is the event id; {@code source} is {@code /datis/<pipeline>/<database>} (names
   * percent-encoded outside {@code A-Z a-z 0-9 - . _ ~}); {@code type} is {@code io.datis.change.}
   * followed by {@code insert}, {@code update}, {@code delete}, {@code truncate} or {@code
   * snapshot_read}; {@code subject} is the table; {@code time} the commit time. Subscribers
   * deduplicate on {@code source} and {@code id}, as the CloudEvents specification intends.
   */
  public static MessageFormat cloudEvents() {
    return CLOUD_EVENTS;
  }

  /**
   * CloudEvents 1.0 in <a
   * href="https://github.com/googleapis/google-cloudevents/blob/main/docs/spec/pubsub.md">binary
   * mode</a>: the message data is the {@link #datisJson() Datis envelope}, and the CloudEvents
   * context is in attributes, each named {@code ce-} and the context attribute's name, with the
   * data's media type in {@code content-type}:
   *
   * <pre>{@code
   * ce-specversion  1.0
   * ce-id           00000000016B3748-571-3
   * ce-source       /datis/shop-cdc/shop
   * ce-type         io.datis.change.update
   * ce-subject      public.orders
   * ce-time         2026-01-02T03:04:05.123456Z
   * content-type    application/json
   * }</pre>
   *
   * <p>The values are those of {@link #cloudEvents()}; the standard {@code datis-*} attributes are
   * there too (14 attributes in all, of Pub/Sub's 100).
   */
  public static MessageFormat cloudEventsBinary() {
    return CLOUD_EVENTS_BINARY;
  }

  /**
   * A copy of this format that adds fixed attributes to every message, e.g. {@code Map.of("env",
   * "prod")}. Calls add up; a later value replaces an earlier one of the same name. The map is
   * copied.
   *
   * @throws IllegalArgumentException if a name is empty or reserved ({@code datis-*}, {@code ce-*},
   *     {@code content-type}), or a value is null; the message lists all of them
   */
  MessageFormat withAttributes(Map<String, String> attributes) {
    Objects.requireNonNull(attributes, "attributes");
    return new MessageFormat(
        name, encoder.layout(), encoder.userAttributes().withFixed(attributes));
  }

  /**
   * A copy of this format that adds the attributes the function computes for each event, e.g.
   * {@code event -> Map.of("tenant", tenantOf(event))}. Several functions run in the order added,
   * after the fixed attributes; a later value replaces an earlier one of the same name. The
   * function runs on the publishing thread for every event, so keep it fast; it must not return
   * {@code null} (return {@code Map.of()} for none) and publishing fails if it does. Reserved names
   * it returns ({@code datis-*}, {@code ce-*}, {@code content-type}) are ignored, with a warning
   * logged once.
   *
   * <p>Attribute values are visible to anyone who can read the subscription's metadata and are
   * logged by some tools: avoid putting sensitive row values in them.
   */
  MessageFormat withAttributes(
      Function<? super ChangeEvent, ? extends Map<String, String>> attributes) {
    Objects.requireNonNull(attributes, "attributes");
    return new MessageFormat(
        name, encoder.layout(), encoder.userAttributes().withFunction(attributes));
  }

  /** The encoder the sink uses; not API. */
  MessageEncoder encoder() {
    return encoder;
  }

  /** For example {@code MessageFormat.datisJson()}. */
  @Override
  public String toString() {
    return "MessageFormat."
        + name
        + "()"
        + (encoder.userAttributes().isEmpty() ? "" : " with " + encoder.userAttributes());
  }
}
