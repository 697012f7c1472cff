package io.datis.samples.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service in a process of its own, configured by real environment variables only, as in a
 * container: it captures the table {@code DATIS_TABLES} names, publishes to {@code PUBSUB_TOPIC}
 * through {@code PUBSUB_EMULATOR_HOST}, listens on {@code PORT}, logs JSON lines (ECS) that carry
 * the pipeline's name, and stops on SIGTERM.
 */
class DatisServiceProcessTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final JsonMapper json = JsonMapper.builder().build();

  @TempDir Path directory;

  @Test
  void runsFromEnvironmentVariablesAlone() throws Exception {
    pg.execute("CREATE TABLE public.parcels (id int PRIMARY KEY, city text NOT NULL)");
    pubsub.createTopic("env-project", "parcels-cdc");
    pubsub.createSubscription("env-project", "parcels-cdc-sub", "parcels-cdc", true);
    int port = freePort();
    Path log = directory.resolve("service.log");

    ProcessBuilder service =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                DatisService.class.getName())
            .directory(directory.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> environment = service.environment();
    environment.keySet().removeIf(name -> name.matches("(PG|DATIS_|PUBSUB_|LOG_FORMAT).*"));
    environment.put("PGHOST", pg.host());
    environment.put("PGPORT", Integer.toString(pg.port()));
    environment.put("PGDATABASE", pg.database());
    environment.put("PGUSER", pg.user());
    environment.put("PGPASSWORD", pg.password());
    environment.put("DATIS_TABLES", "public.parcels");
    environment.put("PUBSUB_PROJECT", "env-project");
    environment.put("PUBSUB_TOPIC", "parcels-cdc");
    environment.put("PUBSUB_EMULATOR_HOST", pubsub.hostPort());
    environment.put("PORT", Integer.toString(port));
    Process process = service.start();
    try {
      await()
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> !process.isAlive() || status(port, "/actuator/health/readiness") == 200);
      assertThat(process.isAlive()).as("the service runs; its output:%n%s", read(log)).isTrue();

      pg.execute("INSERT INTO public.parcels VALUES (3, 'Lyon')");
      List<PubsubMessage> messages = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                messages.addAll(pubsub.pull("env-project", "parcels-cdc-sub", 10));
                return !messages.isEmpty();
              });
      assertThat(messages).hasSize(1);
      assertThat(messages.get(0).getOrderingKey()).isEqualTo("public.parcels:[3]");
      assertThat(messages.get(0).getData().toString(StandardCharsets.UTF_8)).contains("Lyon");
    } finally {
      process.destroy(); // SIGTERM: Spring Boot closes the pipeline, then exits
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
    }

    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      lines.add(json.readTree(line)); // every line is JSON: no banner, no plain text
    }
    assertThat(lines)
        .as("log lines")
        .isNotEmpty()
        .allSatisfy(line -> assertThat(line.has("@timestamp")).isTrue())
        .anySatisfy(
            line ->
                assertThat(line.path("service").path("name").asString()).isEqualTo("datis-service"))
        .anySatisfy(
            line ->
                assertThat(line.path("datis").path("pipeline").asString()).isEqualTo("changes"));
  }

  private static int status(int port, String path) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static String read(Path log) throws IOException {
    File file = log.toFile();
    return file.exists() ? Files.readString(log) : "(no output)";
  }
}
