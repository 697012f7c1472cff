package io.datis.samples.service;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Datis service on this machine alone: an embedded PostgreSQL and the testkit's local Pub/Sub
 * server, the service started with its own {@code main} and pointed at both by the same variables
 * as in production ({@code PGHOST}, {@code PUBSUB_TOPIC}, ...), a few changes, and what the
 * subscription receives. It lives in the tests so that the testkit stays out of the service's jar.
 *
 * <p>Run it with {@code mvn -q -pl samples-service -am package -DskipTests -Plocal}.
 */
public final class LocalDatisService {

  static final String PROJECT = "local-project";
  static final String TOPIC = "orders-cdc";
  static final String SUBSCRIPTION = "orders-cdc-sub";
  static final int EXPECTED_MESSAGES = 4;

  private LocalDatisService() {}

  public static void main(String[] args) throws Exception {
    int received = run(System.out, args);
    System.out.println("Datis service done: " + received + " messages received.");
    // Exits at once, and says whether every change arrived.
    System.exit(received == EXPECTED_MESSAGES ? 0 : 1);
  }

  /**
   * Runs the service against a local PostgreSQL and Pub/Sub, makes four changes and prints the
   * messages its subscription received; returns how many.
   *
   * @param serviceArgs more command-line arguments for the service, such as {@code --PORT=8080}
   */
  public static int run(PrintStream out, String... serviceArgs) throws Exception {
    try (DatisPostgres pg = DatisPostgres.embedded().start();
        LocalPubSub pubsub = LocalPubSub.create().start()) {
      pg.execute(
          "CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL, status text NOT NULL)",
          "INSERT INTO public.orders VALUES (1, 'tea', 'new')");
      pubsub.createTopic(PROJECT, TOPIC);
      pubsub.createSubscription(PROJECT, SUBSCRIPTION, TOPIC, true);

      List<String> args = new ArrayList<>();
      // Command-line arguments beat the environment: a PGHOST of your shell does not interfere.
      args.add("--PGHOST=" + pg.host());
      args.add("--PGPORT=" + pg.port());
      args.add("--PGDATABASE=" + pg.database());
      args.add("--PGUSER=" + pg.user());
      args.add("--PGPASSWORD=" + pg.password());
      args.add("--DATIS_TABLES=public.orders");
      args.add("--PUBSUB_PROJECT=" + PROJECT);
      args.add("--PUBSUB_TOPIC=" + TOPIC);
      // What PUBSUB_EMULATOR_HOST does in a real environment, which a JVM cannot set for itself.
      args.add("--datis.pipelines.changes.pubsub.emulator-host=" + pubsub.hostPort());
      args.add("--PORT=0"); // any free port
      // Only warnings, and Datis's own lines (JSON, as in production), among the printed messages.
      args.add("--logging.level.root=warn");
      args.add("--logging.level.io.datis=info");
      args.add("--logging.level.io.datis.samples=warn");
      args.addAll(List.of(serviceArgs));

      try (ConfigurableApplicationContext service =
          SpringApplication.from(DatisService::main)
              .run(args.toArray(String[]::new))
              .getApplicationContext()) {
        // Ready once the pipeline has read the table (the row inserted before arrives as a
        // snapshot read) and streams changes.
        int port = ((WebServerApplicationContext) service).getWebServer().getPort();
        out.println("GET /actuator/health/readiness -> " + awaitReadiness(port));
        pg.execute(
            "INSERT INTO public.orders VALUES (2, 'coffee', 'new')",
            "UPDATE public.orders SET status = 'paid' WHERE id = 2",
            "DELETE FROM public.orders WHERE id = 1");

        List<PubsubMessage> messages = new ArrayList<>();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (messages.size() < EXPECTED_MESSAGES && System.nanoTime() < deadline) {
          messages.addAll(pubsub.pull(PROJECT, SUBSCRIPTION, 10));
          Thread.sleep(50);
        }
        for (PubsubMessage message : messages) {
          out.println(
              message.getAttributesMap().get("datis-operation")
                  + " key="
                  + message.getOrderingKey()
                  + " "
                  + message.getData().toString(StandardCharsets.UTF_8));
        }
        return messages.size();
      }
    }
  }

  /** Waits up to 60 s for readiness; returns the last answer, such as {@code 200 UP}. */
  private static String awaitReadiness(int port) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    String readiness = get(port, "/actuator/health/readiness");
    while (!readiness.startsWith("200 ") && System.nanoTime() < deadline) {
      Thread.sleep(100);
      readiness = get(port, "/actuator/health/readiness");
    }
    return readiness;
  }

  private static String get(int port, String path) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    // The status only: the details of the datis component follow it in the body.
    return response.statusCode()
        + " "
        + JsonMapper.builder().build().readTree(response.body()).path("status").asString();
  }
}
