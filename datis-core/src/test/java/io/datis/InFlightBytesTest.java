package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Wide rows and a stalled sink: capture pauses once the events in flight reach the byte budget. */
class InFlightBytesTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int ROWS = 30;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void aStalledSinkHoldsNoMoreThanTheByteBudgetOfWideRowsAndGetsThemAllOnceItRecovers() {
    pg.execute("CREATE TABLE public.wide (id int PRIMARY KEY, payload text NOT NULL)");
    InMemorySink sink = new InMemorySink().stallAfter(0);
    try (Pipeline pipeline =
        Datis.capture(pg.source())
            .name("wide")
            .tables("public.wide")
            .snapshot(SnapshotMode.CHANGES_ONLY)
            .offsets(OffsetStore.inMemory())
            .maxBatchSize(2)
            .maxInFlightBytes(1024 * 1024)
            .metrics(registry)
            .to(sink)
            .start()) {
      // 100,000 characters a row: about ten rows fit in 1 MiB, while 20,000 events would be
      // allowed.
      pg.execute(
          IntStream.rangeClosed(1, ROWS)
              .mapToObj(
                  id ->
                      "INSERT INTO public.wide VALUES ("
                          + id
                          + ", repeat(md5('"
                          + id
                          + "'), 3125))")
              .toArray(String[]::new));
      await().atMost(TIMEOUT).until(() -> sink.stalledBatches() >= 3);

      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(10))
          .until(() -> sink.stalledBatches() <= 10);
      assertThat(inFlightBytes()).isBetween(300_000.0, 1024.0 * 1024);

      sink.reset();
      sink.releaseStalled();
      sink.awaitEvents(ROWS, TIMEOUT);
      await().atMost(TIMEOUT).until(() -> inFlightBytes() == 0);
    }
    // Acknowledgement order, not capture order: released batches and the ones after them
    // interleave.
    assertThat(sink.events())
        .extracting(event -> event.key().get("id"))
        .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, ROWS).boxed().toList());
  }

  private double inFlightBytes() {
    return registry.get("datis.events.in.flight.bytes").tag("pipeline", "wide").gauge().value();
  }

  @Test
  void aBudgetUnderOneMebibyteIsRefused() {
    assertThatThrownBy(() -> Datis.capture(pg.source()).maxInFlightBytes(4096))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlightBytes must be at least 1 MiB, but was 4096");
  }
}
