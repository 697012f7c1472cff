package io.datis.samples.health;

import io.datis.Datis;
import io.datis.Health;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.sink.Sink;
import io.datis.testkit.DatisPostgres;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A pipeline's health and metrics over HTTP: starts an embedded PostgreSQL and a pipeline on one
 * table, serves {@code /health} and {@code /metrics} with {@link HealthAndMetricsServer}, and
 * places and pays an order every second so that the metrics move, until Ctrl+C or for a given
 * number of seconds.
 *
 * <pre>
 * mvn -q -pl samples -am package -DskipTests -Phealth-sample                        # port 8080, until Ctrl+C
 * mvn -q -pl samples -am package -DskipTests -Phealth-sample -Dexec.args="9090 60"  # port 9090, for 60 s
 * curl -i http://localhost:8080/health
 * curl -s http://localhost:8080/metrics | grep '^datis_'
 * </pre>
 *
 * <p>The port is the first argument, else the {@code DATIS_HTTP_PORT} environment variable, else
 * 8080; 0 picks a free one. The optional second argument is how many seconds to run.
 */
public final class HealthSample {

  private static final String USAGE =
      "Usage: HealthSample [PORT [SECONDS]], e.g. -Dexec.args=\"9090 60\"; PORT defaults to $DATIS_HTTP_PORT, "
          + "else 8080, and 0 picks a free port; without SECONDS it runs until Ctrl+C";

  private HealthSample() {}

  /** Runs the sample; see the class description for the arguments. */
  public static void main(String[] args) throws Exception {
    if (args.length > 2) {
      throw new IllegalArgumentException("Too many arguments. " + USAGE);
    }
    String portText = args.length > 0 ? args[0] : System.getenv("DATIS_HTTP_PORT");
    int port = portText == null || portText.isBlank() ? 8080 : parse(portText, "PORT", 0, 65535);
    @Nullable Duration duration =
        args.length > 1
            ? Duration.ofSeconds(parse(args[1], "SECONDS", 1, Integer.MAX_VALUE))
            : null;

    // Ctrl+C: interrupt the sample, which then closes the pipeline, the server and PostgreSQL
    // cleanly.
    Thread sample = Thread.currentThread();
    CountDownLatch finished = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  sample.interrupt();
                  try {
                    finished.await(60, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "health-sample-shutdown"));
    try {
      Health last = run(port, duration, System.out);
      System.out.println("Health sample done; the last health was " + last);
    } finally {
      finished.countDown();
    }
  }

  /**
   * Runs the sample, serving on {@code port} of every interface (0 picks a free port) for {@code
   * duration}, or until the calling thread is interrupted if {@code duration} is null, or until the
   * pipeline stops. Prints where it serves, then the health every ten orders, to {@code out}.
   *
   * @return the pipeline's health just before the sample closed it
   */
  public static Health run(int port, @Nullable Duration duration, PrintStream out) {
    boolean interrupted;
    Health last;
    try (DatisPostgres pg = DatisPostgres.embedded().start()) {
      pg.execute(
          "CREATE TABLE public.orders (id serial PRIMARY KEY, item text NOT NULL, status text NOT NULL)");
      Sink sink =
          batch -> CompletableFuture.completedFuture(null); // your sink here, e.g. a PubSubSink

      // [health-sample]
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      try (Pipeline pipeline =
              Datis.capture(pg.source())
                  .name("health-sample")
                  .tables("public.orders")
                  .snapshot(SnapshotMode.CHANGES_ONLY)
                  .offsets(OffsetStore.inMemory())
                  .metrics(registry) // the datis_* meters that /metrics serves
                  .to(sink)
                  .start();
          HealthAndMetricsServer http = HealthAndMetricsServer.start(pipeline, registry, port)) {
        out.println(
            "Serving health on " + http.uri() + "health and metrics on " + http.uri() + "metrics");
        interrupted = placeOrders(pg, pipeline, duration, out); // until Ctrl+C, or for the duration
        last = pipeline.health();
      }
      // [health-sample]
    }
    if (interrupted) {
      Thread.currentThread().interrupt(); // restored only now, so that it did not cut closing short
    }
    return last;
  }

  /**
   * Places and pays an order every second, for {@code duration} or (if null) until interrupted,
   * while the pipeline runs.
   *
   * @return whether it stopped because the thread was interrupted
   */
  private static boolean placeOrders(
      DatisPostgres pg, Pipeline pipeline, @Nullable Duration duration, PrintStream out) {
    String until = duration == null ? "until Ctrl+C" : "for " + duration.toSeconds() + " s";
    out.println("Placing and paying an order every second " + until);
    long deadline = duration == null ? 0 : System.nanoTime() + duration.toNanos();
    int orders = 0;
    boolean interrupted = false;
    while (pipeline.isRunning() && (duration == null || System.nanoTime() - deadline < 0)) {
      pg.execute(
          "INSERT INTO orders (item, status) VALUES ('coffee', 'new')",
          "UPDATE orders SET status = 'paid' WHERE status = 'new'");
      orders++;
      if (orders % 10 == 0) {
        out.println(orders + " orders so far; health: " + pipeline.health());
      }
      long pauseMillis =
          duration == null
              ? 1000
              : Math.min(1000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1);
      try {
        Thread.sleep(Math.max(pauseMillis, 0));
      } catch (InterruptedException e) {
        interrupted = true;
        break;
      }
    }
    out.println(orders + " orders placed and paid; health: " + pipeline.health());
    return interrupted;
  }

  private static int parse(String text, String name, int min, int max) {
    int value;
    try {
      value = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          name + " must be a number, but was '" + text + "'. " + USAGE, e);
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be between " + min + " and " + max + ", but was " + value + ". " + USAGE);
    }
    return value;
  }
}
