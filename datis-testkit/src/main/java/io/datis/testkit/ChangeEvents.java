package io.datis.testkit;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.api.event.Unchanged;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Builds {@link ChangeEvent}s without a database, for plain unit tests of transforms and sinks.
 *
 * <pre>{@code
 * ChangeEvent insert =
 *     ChangeEvents.insert("public.orders").key("id", 10).column("status", "new").build();
 * ChangeEvent update =
 *     ChangeEvents.update("public.orders")
 *         .key("id", 10)
 *         .before("status", "new")
 *         .after("status", "paid")
 *         .unchanged("notes")
 *         .build();
 * ChangeEvent delete = ChangeEvents.delete("public.orders").key("id", 10).build();
 * ChangeEvent truncate = ChangeEvents.truncate("public.orders").build();
 * }</pre>
 *
 * <p>{@code key} columns come first in the row images, then the other columns in the order they
 * were given. {@link Builder#column column} writes to the image the operation has: {@code after}
 * for inserts, updates and snapshot reads, {@code before} for deletes. An update has a {@code
 * before} image only when {@link Builder#before before} was called, as under {@code REPLICA
 * IDENTITY FULL}; the key values are then in both images.
 *
 * <p>Unless set, each builder takes the next position from a counter shared by the whole JVM, so
 * events built one after another have increasing LSNs: LSN {@code n * 16}, transaction {@code n},
 * sequence 1 (for snapshot reads: transaction 0, sequence {@code n}). The commit time is {@code
 * 2026-01-01T00:00:00Z} plus {@code n} milliseconds.
 */
public final class ChangeEvents {

  private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
  private static final AtomicLong COUNTER = new AtomicLong();

  private ChangeEvents() {}

  /** An insert into {@code table} ({@code schema.table}); it has an {@code after} image. */
  public static Builder insert(String table) {
    return of(Operation.INSERT, table);
  }

  /**
   * An update of a row of {@code table}; it has an {@code after} image, a {@code before} one if
   * set.
   */
  public static Builder update(String table) {
    return of(Operation.UPDATE, table);
  }

  /** A delete from {@code table}; it has a {@code before} image. */
  public static Builder delete(String table) {
    return of(Operation.DELETE, table);
  }

  /** A truncate of {@code table}; it has no images, so it takes no columns. */
  public static Builder truncate(String table) {
    return of(Operation.TRUNCATE, table);
  }

  /** A row of {@code table} read by the initial snapshot; it has an {@code after} image. */
  public static Builder snapshotRead(String table) {
    return of(Operation.SNAPSHOT_READ, table);
  }

  /** An event of any operation on {@code table} ({@code schema.table}). */
  public static Builder of(Operation operation, String table) {
    return new Builder(
        Objects.requireNonNull(operation, "operation"),
        TableId.parse(Objects.requireNonNull(table, "table")));
  }

  /**
   * Builds one event; see {@link ChangeEvents}. Not thread-safe.
   *
   * <pre>{@code
   * ChangeEvent paid = ChangeEvents.update("public.orders")
   *     .key("id", 10)
   *     .before("status", "new")
   *     .after("status", "paid")
   *     .build();
   * }</pre>
   */
  public static final class Builder {
    private final Operation operation;
    private final TableId table;
    private final Map<String, @Nullable Object> key = new LinkedHashMap<>();
    private final Map<String, @Nullable Object> before = new LinkedHashMap<>();
    private final Map<String, @Nullable Object> after = new LinkedHashMap<>();
    private boolean hasBefore;
    private Position position;
    private Instant commitTime;
    private @Nullable String destination;

    private Builder(Operation operation, TableId table) {
      this.operation = operation;
      this.table = table;
      long n = COUNTER.incrementAndGet();
      this.position =
          operation == Operation.SNAPSHOT_READ
              ? Position.of(n * 16, 0, n)
              : Position.of(n * 16, n, 1);
      this.commitTime = EPOCH.plusMillis(n);
      this.hasBefore = operation == Operation.DELETE;
    }

    /** Adds a key column and its value, to every image the event has. */
    public Builder key(String column, @Nullable Object value) {
      requireImages(column);
      key.put(column, value);
      return this;
    }

    /**
     * Adds a column to the event's main image: {@code before} for deletes, {@code after} otherwise.
     */
    public Builder column(String column, @Nullable Object value) {
      requireImages(column);
      (operation == Operation.DELETE ? before : after).put(column, value);
      return this;
    }

    /**
     * Adds a column to the {@code before} image (updates and deletes); for an update, this gives it
     * a {@code before} image. A key column given here overrides its key value, as when a key
     * changes.
     */
    public Builder before(String column, @Nullable Object value) {
      if (operation != Operation.UPDATE && operation != Operation.DELETE) {
        throw new IllegalStateException(
            article(operation) + " event has no before image: only UPDATE and DELETE events do");
      }
      hasBefore = true;
      before.put(Objects.requireNonNull(column, "column"), value);
      return this;
    }

    /** Adds a column to the {@code after} image (inserts, updates and snapshot reads). */
    public Builder after(String column, @Nullable Object value) {
      if (operation == Operation.DELETE || operation == Operation.TRUNCATE) {
        throw new IllegalStateException(article(operation) + " event has no after image");
      }
      after.put(Objects.requireNonNull(column, "column"), value);
      return this;
    }

    /**
     * Marks a column of the {@code after} image as an unchanged TOASTed value ({@link Unchanged}).
     */
    public Builder unchanged(String column) {
      if (operation != Operation.UPDATE) {
        throw new IllegalStateException(
            "Only UPDATE events have unchanged columns, not " + operation);
      }
      return after(column, Unchanged.VALUE);
    }

    /** The position, instead of the next one from the shared counter. */
    public Builder position(Position position) {
      this.position = Objects.requireNonNull(position, "position");
      return this;
    }

    /** The position {@code lsn}, transaction {@code transactionId}, sequence {@code sequence}. */
    public Builder position(long lsn, long transactionId, long sequence) {
      return position(Position.of(lsn, transactionId, sequence));
    }

    /** The commit time, instead of the default. */
    public Builder commitTime(Instant commitTime) {
      this.commitTime = Objects.requireNonNull(commitTime, "commitTime");
      return this;
    }

    /** The destination a transform would have chosen. */
    public Builder destination(@Nullable String destination) {
      this.destination = destination;
      return this;
    }

    /** Builds the event. */
    public ChangeEvent build() {
      ChangeEvent.Builder event =
          ChangeEvent.builder(operation, table)
              .keyColumns(new ArrayList<>(key.keySet()))
              .position(position)
              .commitTime(commitTime)
              .destination(destination);
      if (operation == Operation.TRUNCATE) {
        return event.build();
      }
      if (hasBefore) {
        event.before(image(before));
      }
      if (operation != Operation.DELETE) {
        event.after(image(after));
      }
      return event.build();
    }

    private Map<String, @Nullable Object> image(Map<String, @Nullable Object> columns) {
      Map<String, @Nullable Object> image = new LinkedHashMap<>(key);
      image.putAll(columns);
      return image;
    }

    private static String article(Operation operation) {
      return (operation == Operation.INSERT || operation == Operation.UPDATE ? "An " : "A ")
          + operation;
    }

    private void requireImages(String column) {
      Objects.requireNonNull(column, "column");
      if (operation == Operation.TRUNCATE) {
        throw new IllegalStateException("A TRUNCATE event has no row images, so no columns");
      }
    }
  }
}
