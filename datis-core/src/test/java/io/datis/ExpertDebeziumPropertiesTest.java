package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.postgres.PostgresSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expert Debezium properties cannot break Datis's guarantees: only settings that tune timing,
 * fetching and retries are accepted; every one that could drop, filter, reorder, re-key or
 * re-encode events, or commit behind Datis's back, is refused naming what to use instead.
 */
class ExpertDebeziumPropertiesTest {

  private static final PostgresSource SOURCE =
      PostgresSource.builder()
          .jdbcUrl("jdbc:postgresql://localhost:5432/shop")
          .user("datis")
          .build();

  @Test
  void refusesSkippedOperationsWhichWouldDropEveryUpdate() {
    assertThatThrownBy(() -> Datis.capture(SOURCE).debeziumProperty("skipped.operations", "u"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "Debezium property 'skipped.operations' cannot be set: Datis decides it, since it can change which"
                + " events are delivered, how, or when they are committed. Instead, filter with a Transform"
                + " (Transforms.filter); Datis captures every operation. Allowed: custom.metric.tags,"
                + " errors.max.retries,");
  }

  @Test
  void refusesEverySettingThatChangesWhatIsDeliveredOrCommitted() {
    List<String> keys =
        List.of(
            "snapshot.mode",
            "snapshot.mode.custom.name",
            "snapshot.select.statement.overrides",
            "lsn.flush.mode",
            "flush.lsn.source",
            "offset.storage",
            "offset.flush.interval.ms",
            "database.hostname",
            "database.initial.statements",
            "column.exclude.list",
            "column.mask.with.10.chars",
            "message.key.columns",
            "tombstones.on.delete",
            "transforms",
            "transforms.unwrap.type",
            "converters",
            "decimal.handling.mode",
            "include.unknown.datatypes",
            "event.processing.failure.handling.mode",
            "slot.drop.on.stop",
            "max.batch.size",
            "max.queue.size",
            "max.queue.size.in.bytes",
            "table.exclude.list",
            "publication.autocreate.mode",
            "signal.enabled.channels",
            "some.future.setting");
    for (String key : keys) {
      assertThatThrownBy(() -> Datis.capture(SOURCE).debeziumProperty(key, "x"))
          .as(key)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("Debezium property '" + key + "' cannot be set: ");
    }
  }

  @Test
  void namesTheDatisSettingThatReplacesARefusedOne() {
    assertThatThrownBy(() -> Datis.capture(SOURCE).debeziumProperty("max.queue.size", "100"))
        .hasMessageContaining(
            "Instead, use maxInFlightBytes(long), which bounds Debezium's queue too.");
    assertThatThrownBy(() -> Datis.capture(SOURCE).debeziumProperty("snapshot.mode", "always"))
        .hasMessageContaining("Instead, use snapshot(SnapshotMode).");
    assertThatThrownBy(() -> Datis.capture(SOURCE).debeziumProperty("some.future.setting", "x"))
        .hasMessageContaining(
            "it is not among the expert properties Datis allows, which cannot change what is delivered or committed.");
  }

  @Test
  void acceptsTheDocumentedTuningSettings() {
    PipelineBuilder builder = Datis.capture(SOURCE);
    for (String key :
        List.of(
            "snapshot.fetch.size",
            "snapshot.max.threads",
            "poll.interval.ms",
            "status.update.interval.ms",
            "heartbeat.interval.ms",
            "slot.max.retries",
            "errors.max.retries")) {
      assertThat(builder.debeziumProperty(key, "1")).isSameAs(builder);
    }
  }
}
