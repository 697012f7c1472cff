package io.datis.api.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One row change captured from PostgreSQL: what happened ({@link #operation()}), to which table,
 * the row images before and after, and where it sits in the log ({@link #position()}).
 *
 * <p>Row images are ordered maps of column name to value, in table column order; values are decoded
 * to the Java types listed in the README (for example {@code numeric} to {@link
 * java.math.BigDecimal}, {@code timestamptz} to {@link Instant}, {@code jsonb} to {@link Json},
 * arrays to {@link List}); SQL {@code NULL} is {@code null}; an unchanged TOASTed column is {@link
 * Unchanged#VALUE}. Which image is present depends on the operation: see {@link Operation}.
 *
 * <p>Instances are immutable. Transforms derive new events with {@link #toBuilder()}. {@link
 * #toString()} never prints row values, so events can be logged safely.
 *
 * <p>When the pipeline traces its deliveries (OpenTelemetry), each event handed to a sink carries
 * the W3C trace context of the delivery's span ({@link #traceParent()}), for sinks to pass on.
 */
public final class ChangeEvent {

  private final Operation operation;
  private final TableId table;
  private final List<String> keyColumns;
  private final @Nullable Map<String, @Nullable Object> before;
  private final @Nullable Map<String, @Nullable Object> after;
  private final Position position;
  private final Instant commitTime;
  private final @Nullable String destination;
  private final @Nullable String traceParent;

  private ChangeEvent(Builder builder) {
    this.operation = builder.operation;
    this.table = builder.table;
    this.keyColumns = builder.keyColumns;
    this.before = builder.before;
    this.after = builder.after;
    this.position = Objects.requireNonNull(builder.position, "position");
    this.commitTime = Objects.requireNonNull(builder.commitTime, "commitTime");
    this.destination = builder.destination;
    this.traceParent = builder.traceParent;
  }

  private ChangeEvent(ChangeEvent event, @Nullable String traceParent) {
    this.operation = event.operation;
    this.table = event.table;
    this.keyColumns = event.keyColumns;
    this.before = event.before;
    this.after = event.after;
    this.position = event.position;
    this.commitTime = event.commitTime;
    this.destination = event.destination;
    this.traceParent = traceParent;
  }

  /** Starts building an event of the given operation on the given table. */
  public static Builder builder(Operation operation, TableId table) {
    return new Builder(operation, table);
  }

  /** Returns a builder holding all of this event's fields, to derive a modified copy. */
  public Builder toBuilder() {
    Builder b = new Builder(operation, table);
    b.keyColumns = keyColumns;
    b.before = before;
    b.after = after;
    b.position = position;
    b.commitTime = commitTime;
    b.traceParent = traceParent;
    b.destination = destination;
    return b;
  }

  /** What happened to the row. */
  public Operation operation() {
    return operation;
  }

  /** The table the row belongs to. */
  public TableId table() {
    return table;
  }

  /**
   * The primary-key (or replica identity) column names, in key order; empty when the table has no
   * key.
   */
  public List<String> keyColumns() {
    return keyColumns;
  }

  /**
   * The key column values, in key order, taken from the {@code after} image, or from {@code before}
   * for a delete. Empty for truncates and for tables without a key.
   */
  public Map<String, @Nullable Object> key() {
    Map<String, @Nullable Object> image = after != null ? after : before;
    if (image == null || keyColumns.isEmpty()) {
      return Map.of();
    }
    Map<String, @Nullable Object> key = new LinkedHashMap<>();
    for (String column : keyColumns) {
      key.put(column, image.get(column));
    }
    return Collections.unmodifiableMap(key);
  }

  /**
   * The row before the change: present for updates (when the replica identity sends it) and
   * deletes.
   */
  public Optional<Map<String, @Nullable Object>> before() {
    return Optional.ofNullable(before);
  }

  /** The row after the change: present for inserts, updates and snapshot reads. */
  public Optional<Map<String, @Nullable Object>> after() {
    return Optional.ofNullable(after);
  }

  /** Where the change sits in the write-ahead log. */
  public Position position() {
    return position;
  }

  /** When the change's transaction committed (for snapshot reads: when the row was read). */
  public Instant commitTime() {
    return commitTime;
  }

  /**
   * The destination a transform chose for this event (for example a Pub/Sub topic name), if any.
   * Sinks that can route honour it; by default it is empty and the sink decides.
   */
  public Optional<String> destination() {
    return Optional.ofNullable(destination);
  }

  /**
   * The W3C trace context ({@code traceparent} header value, {@code 00-<trace id>-<span
   * id>-<flags>}) of the span under which the pipeline delivers this event; empty when the pipeline
   * does not trace. The Pub/Sub sink writes it into each message's {@code googclient_traceparent}
   * attribute, where Pub/Sub's client libraries look for it.
   */
  public Optional<String> traceParent() {
    return Optional.ofNullable(traceParent);
  }

  /**
   * This event with another trace context, sharing its row images; see {@link #traceParent()}.
   *
   * @param traceParent a W3C {@code traceparent} value, or {@code null} for none
   * @throws IllegalArgumentException if it is not of the form {@code 00-<32 hex>-<16 hex>-<2 hex>}
   */
  public ChangeEvent withTraceParent(@Nullable String traceParent) {
    return new ChangeEvent(this, checkTraceParent(traceParent));
  }

  private static @Nullable String checkTraceParent(@Nullable String traceParent) {
    if (traceParent != null
        && (traceParent.length() != 55
            || traceParent.charAt(2) != '-'
            || traceParent.charAt(35) != '-'
            || traceParent.charAt(52) != '-')) {
      throw new IllegalArgumentException(
          "traceParent must be a W3C traceparent value, 00-<32 hex digits>-<16 hex digits>-<2 hex"
              + " digits>, but was '"
              + traceParent
              + "'");
    }
    return traceParent;
  }

  /**
   * Describes the event without any row value, e.g. {@code UPDATE public.orders [id, status, total]
   * at lsn 0/16B3748 tx 571 #3}.
   */
  @Override
  public String toString() {
    Map<String, @Nullable Object> image = after != null ? after : before;
    return operation
        + " "
        + table
        + (image == null ? "" : " " + image.keySet())
        + " at "
        + position
        + (destination == null ? "" : " to " + destination);
  }

  /**
   * Events are equal when all their fields but the {@linkplain #traceParent() trace context} are
   * (the same change delivered again is traced again); note that {@code byte[]} values compare by
   * identity.
   */
  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ChangeEvent)) {
      return false;
    }
    ChangeEvent that = (ChangeEvent) o;
    return operation == that.operation
        && table.equals(that.table)
        && keyColumns.equals(that.keyColumns)
        && Objects.equals(before, that.before)
        && Objects.equals(after, that.after)
        && position.equals(that.position)
        && commitTime.equals(that.commitTime)
        && Objects.equals(destination, that.destination);
  }

  @Override
  public int hashCode() {
    return Objects.hash(operation, table, position);
  }

  /** Builds a {@link ChangeEvent}; {@link #build()} checks that the images fit the operation. */
  public static final class Builder {
    private Operation operation;
    private TableId table;
    private List<String> keyColumns = List.of();
    private @Nullable Map<String, @Nullable Object> before;
    private @Nullable Map<String, @Nullable Object> after;
    private @Nullable Position position;
    private @Nullable Instant commitTime;
    private @Nullable String destination;
    private @Nullable String traceParent;

    private Builder(Operation operation, TableId table) {
      this.operation = Objects.requireNonNull(operation, "operation");
      this.table = Objects.requireNonNull(table, "table");
    }

    /** Changes the operation. */
    public Builder operation(Operation operation) {
      this.operation = Objects.requireNonNull(operation, "operation");
      return this;
    }

    /** Changes the table. */
    public Builder table(TableId table) {
      this.table = Objects.requireNonNull(table, "table");
      return this;
    }

    /** The key column names, in key order. */
    public Builder keyColumns(List<String> keyColumns) {
      this.keyColumns = List.copyOf(keyColumns);
      return this;
    }

    /**
     * The row before the change, or {@code null} for none. Copied (unless a {@link Row}), keeping
     * its order.
     */
    public Builder before(@Nullable Map<String, ? extends @Nullable Object> before) {
      this.before = copyRow(before);
      return this;
    }

    /**
     * The row after the change, or {@code null} for none. Copied (unless a {@link Row}), keeping
     * its order.
     */
    public Builder after(@Nullable Map<String, ? extends @Nullable Object> after) {
      this.after = copyRow(after);
      return this;
    }

    /** Where the change sits in the log. Required. */
    public Builder position(Position position) {
      this.position = Objects.requireNonNull(position, "position");
      return this;
    }

    /** When the transaction committed. Required. */
    public Builder commitTime(Instant commitTime) {
      this.commitTime = Objects.requireNonNull(commitTime, "commitTime");
      return this;
    }

    /** A destination for sinks that route, or {@code null} to let the sink decide. */
    public Builder destination(@Nullable String destination) {
      this.destination = destination;
      return this;
    }

    /**
     * The W3C trace context of the delivery, or {@code null} for none; see {@link
     * ChangeEvent#traceParent()}.
     *
     * @throws IllegalArgumentException if it is not a {@code traceparent} value
     */
    public Builder traceParent(@Nullable String traceParent) {
      this.traceParent = checkTraceParent(traceParent);
      return this;
    }

    /**
     * Builds the event.
     *
     * @throws IllegalStateException if position or commit time is missing, or the images do not fit
     *     the operation (inserts, updates and snapshot reads need {@code after}; deletes need
     *     {@code before}; truncates have neither; key columns must be columns of the image)
     */
    public ChangeEvent build() {
      List<String> problems = new ArrayList<>();
      if (position == null) {
        problems.add("position is required");
      }
      if (commitTime == null) {
        problems.add("commitTime is required");
      }
      switch (operation) {
        case INSERT:
        case UPDATE:
        case SNAPSHOT_READ:
          if (after == null) {
            problems.add(operation + " needs an after image");
          }
          break;
        case DELETE:
          if (before == null) {
            problems.add("DELETE needs a before image");
          }
          if (after != null) {
            problems.add("DELETE has no after image");
          }
          break;
        case TRUNCATE:
          if (before != null || after != null) {
            problems.add("TRUNCATE has no row images");
          }
          break;
      }
      Map<String, @Nullable Object> image = after != null ? after : before;
      if (image != null) {
        for (String column : keyColumns) {
          if (!image.containsKey(column)) {
            problems.add("key column '" + column + "' is not in the row image");
          }
        }
      }
      if (!problems.isEmpty()) {
        throw new IllegalStateException(
            "Invalid " + operation + " event on " + table + ": " + String.join("; ", problems));
      }
      return new ChangeEvent(this);
    }

    private static @Nullable Map<String, @Nullable Object> copyRow(
        @Nullable Map<String, ? extends @Nullable Object> row) {
      return row == null ? null : Row.copyOf(row);
    }
  }
}
