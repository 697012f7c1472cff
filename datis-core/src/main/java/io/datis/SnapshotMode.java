package io.datis;

/** Whether a new pipeline first reads the rows that already exist. */
public enum SnapshotMode {
  /**
   * The default: when the pipeline has no stored offsets, read every existing row of the captured
   * tables (delivered as {@link io.datis.api.event.Operation#SNAPSHOT_READ} events), then stream
   * changes. A pipeline that resumes from stored offsets only streams. Changes committed while the
   * snapshot is starting are captured in the rows it reads rather than as events of their own.
   */
  INITIAL,
  /**
   * Never read existing rows: deliver only the changes committed after the replication slot was
   * created.
   */
  CHANGES_ONLY
}
