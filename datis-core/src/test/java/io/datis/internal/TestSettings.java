package io.datis.internal;

import io.datis.ErrorPolicy;
import io.datis.OffsetStore;
import io.datis.SnapshotMode;
import io.datis.api.event.TableId;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.postgres.PostgresSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Pipeline settings for tests of the runtime's parts, which never connect to the database they
 * name.
 */
final class TestSettings {

  static final TableId ORDERS = TableId.of("public", "orders");

  private TestSettings() {}

  static PipelineSettings of(List<Transform> transforms, ErrorPolicy policy, Sink sink) {
    PostgresSource source =
        PostgresSource.builder().host("localhost").database("shop").user("datis").build();
    return new PipelineSettings(
        "test",
        source,
        DebeziumRecords.PREFIX,
        "datis_test",
        List.of(ORDERS),
        List.copyOf(transforms),
        sink,
        OffsetStore.inMemory(),
        SnapshotMode.CHANGES_ONLY,
        2048,
        20_000,
        1L << 20,
        Duration.ofSeconds(1),
        Map.of(),
        null,
        policy,
        1L << 30,
        false,
        true,
        role -> {},
        BatchTracing.OFF);
  }

  static Map<TableId, ReplicaIdentity> identities() {
    return Map.of(
        ORDERS,
        new ReplicaIdentity(ORDERS, ReplicaIdentity.Kind.DEFAULT, List.of("id"), List.of()));
  }
}
