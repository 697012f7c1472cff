package io.datis.samples.jdbcsink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.PipelineBuilder;
import io.datis.SnapshotMode;
import io.datis.api.SinkException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.api.sink.SinkContext;
import io.datis.testkit.DatisPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real pipeline captures a table into {@link JdbcTableSink}: the changes land in the audit table
 * in commit order, and a batch the pipeline delivers again after a failure is stored once.
 */
class JdbcTableSinkPipelineTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @TempDir Path offsetsDir;

  @Test
  void writesEachCapturedChangeAsOneRowInCommitOrder() throws Exception {
    pg.execute(
        "CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL, status text NOT NULL)");

    JdbcTableSink sink = new JdbcTableSink(pg::connect, "public.orders_audit");
    Pipeline pipeline = pipeline("orders-audit", "public.orders", sink).start();
    try (pipeline) {
      pg.execute(
          "INSERT INTO orders VALUES (1, 'coffee', 'new'), (2, 'tea', 'new')",
          "UPDATE orders SET status = 'paid' WHERE id = 1",
          "DELETE FROM orders WHERE id = 2");
      await().atMost(TIMEOUT).until(() -> rows("public.orders_audit") == 4);
    }

    assertThat(
            pg.query(
                "SELECT operation, table_schema || '.' || table_name, key::text, after->>'status', before::text"
                    + " FROM public.orders_audit ORDER BY id",
                row ->
                    String.join(
                        " | ",
                        row.getString(1),
                        row.getString(2),
                        row.getString(3),
                        row.getString(4),
                        row.getString(5))))
        .containsExactly(
            "INSERT | public.orders | {\"id\": 1} | new | null",
            "INSERT | public.orders | {\"id\": 2} | new | null",
            "UPDATE | public.orders | {\"id\": 1} | paid | null",
            "DELETE | public.orders | {\"id\": 2} | null | {\"id\": 2}"); // replica identity
    // DEFAULT: key only
    assertThat(
            pg.query("SELECT count(DISTINCT tx_id) FROM public.orders_audit", row -> row.getInt(1)))
        .containsExactly(3);
  }

  @Test
  void storesEachChangeOnceWhenTheNextPipelineDeliversItAgainAfterAFailure() throws Exception {
    pg.execute("CREATE TABLE public.payments (id int PRIMARY KEY, amount numeric(10,2) NOT NULL)");
    String audit = "public.payments_audit";
    Sink crashing = new WritesThenFails(new JdbcTableSink(pg::connect, audit));
    Pipeline first = pipeline("payments-audit", "public.payments", crashing).start();
    for (int id = 1; id <= 20; id++) {
      pg.execute("INSERT INTO payments VALUES (" + id + ", " + id + ".50)");
    }

    assertThatThrownBy(() -> first.awaitTermination(TIMEOUT))
        .isInstanceOf(SinkException.class)
        .isSameAs(first.failure().orElseThrow());
    first.close();
    long writtenButNotAcknowledged = rows(audit);
    assertThat(writtenButNotAcknowledged).isBetween(1L, 20L);

    CountingSink second = new CountingSink(new JdbcTableSink(pg::connect, audit));
    Pipeline again = pipeline("payments-audit", "public.payments", second).start();
    try (again) {
      await().atMost(TIMEOUT).until(() -> second.events.get() == 20);
    }

    assertThat(second.events.get()).as("events delivered again, then the rest").isEqualTo(20);
    assertThat(
            pg.query(
                "SELECT (key->>'id')::int, after->>'amount' FROM " + audit + " ORDER BY id",
                row -> row.getInt(1) + "=" + row.getString(2)))
        .as("one row per change, no duplicate")
        .hasSize(20)
        .doesNotHaveDuplicates()
        .startsWith("1=1.50", "2=2.50")
        .endsWith("20=20.50");
  }

  private PipelineBuilder pipeline(String name, String table, Sink sink) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(table)
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.file(offsetsDir.resolve(name + ".offsets")))
        .closeTimeout(Duration.ofSeconds(5))
        .to(sink);
  }

  private static long rows(String table) {
    return pg.query("SELECT count(*) FROM " + table, row -> row.getLong(1)).get(0);
  }

  /**
   * Writes each batch, then fails it: as if the process crashed after the commit, before the
   * acknowledgement.
   */
  private static final class WritesThenFails implements Sink {
    private final JdbcTableSink sink;

    WritesThenFails(JdbcTableSink sink) {
      this.sink = sink;
    }

    @Override
    public void open(SinkContext context) throws SQLException {
      sink.open(context);
    }

    @Override
    public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
      return sink.deliver(batch)
          .thenCompose(
              written ->
                  CompletableFuture.failedFuture(new IOException("crashed before acknowledging")));
    }

    @Override
    public void close() {
      sink.close();
    }
  }

  /** Counts the events whose batches the wrapped sink acknowledged. */
  private static final class CountingSink implements Sink {
    private final JdbcTableSink sink;
    final AtomicInteger events = new AtomicInteger();

    CountingSink(JdbcTableSink sink) {
      this.sink = sink;
    }

    @Override
    public void open(SinkContext context) throws SQLException {
      sink.open(context);
    }

    @Override
    public CompletionStage<Void> deliver(List<ChangeEvent> batch) {
      return sink.deliver(batch).thenRun(() -> events.addAndGet(batch.size()));
    }

    @Override
    public void close() {
      sink.close();
    }
  }
}
