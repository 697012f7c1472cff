package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.api.SourceException;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RetireTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  @BeforeEach
  void createTable() {
    pg.execute("CREATE TABLE public.orders (id int PRIMARY KEY)");
  }

  @Test
  void retiringDropsTheSlotThePublicationAndTheOffsetsAndIsIdempotent() {
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = orders().to(sink).start()) {
      pg.execute("INSERT INTO orders VALUES (1)");
      sink.awaitEvents(1, Duration.ofSeconds(60));
    }
    assertThat(names("SELECT slot_name FROM pg_replication_slots")).containsExactly("datis_orders");
    assertThat(names("SELECT pubname FROM pg_publication")).containsExactly("datis_orders");
    assertThat(names("SELECT DISTINCT pipeline FROM datis_offsets"))
        .as("the offsets, and where the slot stood at the stop")
        .containsExactlyInAnyOrder("orders", "orders#slot");

    orders().retire();

    assertThat(names("SELECT slot_name FROM pg_replication_slots")).isEmpty();
    assertThat(names("SELECT pubname FROM pg_publication")).isEmpty();
    assertThat(names("SELECT pipeline FROM datis_offsets")).isEmpty();
    orders().retire();
  }

  @Test
  void aRunningPipelineCannotBeRetired() {
    try (Pipeline running = orders().to(new InMemorySink()).start()) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> names("SELECT slot_name FROM pg_replication_slots WHERE active").size() == 1);

      assertThatThrownBy(() -> orders().retire())
          .isInstanceOf(SourceException.class)
          .hasMessageMatching(
              "Cannot retire pipeline 'orders': its replication slot 'datis_orders' is in use by PID [0-9]+\\."
                  + " Close the pipeline \\(in every process running it\\) first");
      assertThat(running.isRunning()).isTrue();
    }
  }

  private static PipelineBuilder orders() {
    return Datis.capture(pg.source())
        .name("orders")
        .tables("public.orders")
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.postgres());
  }

  private static List<String> names(String sql) {
    return pg.query(sql, row -> row.getString(1));
  }
}
