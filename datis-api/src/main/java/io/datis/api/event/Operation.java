package io.datis.api.event;

/** What happened to a row. */
public enum Operation {
  /** A row was inserted; the event has an {@code after} image only. */
  INSERT,
  /** A row was updated; the event has an {@code after} image, and a {@code before} image when the table's replica identity provides one. */
  UPDATE,
  /** A row was deleted; the event has a {@code before} image only (key columns only under replica identity DEFAULT). */
  DELETE,
  /** The table was truncated; the event has neither image. */
  TRUNCATE,
  /** A row read by the initial snapshot; the event has an {@code after} image only. */
  SNAPSHOT_READ
}
