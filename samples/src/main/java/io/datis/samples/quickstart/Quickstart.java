package io.datis.samples.quickstart;

import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.testkit.DatisPostgres;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The quickstart: starts an embedded PostgreSQL, captures changes of one table into a sink that
 * prints them, makes a few changes, and exits once all of them arrived.
 *
 * <p>Run it with {@code mvn -q -pl samples -am package -DskipTests -Pprinting-quickstart}.
 */
public final class Quickstart {

  private Quickstart() {}

  public static void main(String[] args) throws Exception {
    int received = run(System.out);
    System.out.println("Quickstart done: " + received + " changes captured.");
  }

  /** Runs the quickstart, printing to {@code out}; returns how many changes arrived. */
  public static int run(PrintStream out) throws Exception {
    try (DatisPostgres pg = DatisPostgres.embedded().start()) {
      pg.execute(
          "CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL, status text NOT NULL)");

      // [quickstart]
      CountDownLatch fourChanges = new CountDownLatch(4);
      Sink printer =
          (List<ChangeEvent> batch) -> {
            for (ChangeEvent event : batch) {
              var row = event.after().or(event::before).orElseThrow();
              out.println(event.operation() + " " + event.table() + " " + row);
              fourChanges.countDown();
            }
            // Delivered: the offsets may be committed.
            return CompletableFuture.completedFuture(null);
          };

      try (Pipeline pipeline =
          Datis.capture(pg.source()) // any PostgresSource: host, port, database, user, password
              .name("quickstart")
              .tables("public.orders")
              .snapshot(SnapshotMode.CHANGES_ONLY) // the table is new: stream changes only
              .offsets(OffsetStore.inMemory())
              .to(printer)
              .start()) {
        pg.execute(
            "INSERT INTO orders VALUES (1, 'coffee', 'new'), (2, 'tea', 'new')",
            "UPDATE orders SET status = 'paid' WHERE id = 1",
            "DELETE FROM orders WHERE id = 2");
        if (!fourChanges.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException(
              "Only " + (4 - fourChanges.getCount()) + " of 4 changes arrived in 60 s");
        }
      }
      // [quickstart]
      return 4;
    }
  }
}
