package io.datis.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium's committer as far as offsets go: which commit LSNs were marked, and failures on demand.
 */
final class RecordingCommitter
    implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {

  final List<Long> committed = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger failures = new AtomicInteger();

  @Override
  public synchronized void markProcessed(RecordChangeEvent<SourceRecord> record) {
    if (failures.getAndDecrement() > 0) {
      throw new IllegalStateException("offset store unavailable");
    }
    committed.add((Long) record.record().sourceOffset().get("lsn_commit"));
  }

  @Override
  public void markBatchFinished() {}

  @Override
  public void markProcessed(
      RecordChangeEvent<SourceRecord> record, DebeziumEngine.Offsets sourceOffsets) {
    throw new UnsupportedOperationException();
  }

  @Override
  public DebeziumEngine.Offsets buildOffsets() {
    throw new UnsupportedOperationException();
  }
}
