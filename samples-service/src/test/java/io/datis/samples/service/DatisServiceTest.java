package io.datis.samples.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.spring.boot.DatisPipelines;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.DatisMessages;
import io.datis.testkit.pubsub.LocalPubSub;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service as it runs, on a random port: a real PostgreSQL and Pub/Sub server, given to it by
 * the variables of its {@code application.yml} ({@code PGHOST}, {@code PUBSUB_TOPIC}, ...), and its
 * endpoints read over HTTP.
 */
@SpringBootTest(
    classes = DatisService.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DatisServiceTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;

  @BeforeAll
  static void createTheTableAndTheTopic() {
    pg.execute("CREATE TABLE public.items (id int PRIMARY KEY, name text NOT NULL)");
    pubsub.createTopic("test-project", "items-cdc");
    pubsub.createSubscription("test-project", "items-cdc-sub", "items-cdc", true);
  }

  @DynamicPropertySource
  static void variables(DynamicPropertyRegistry registry) {
    registry.add("PGHOST", pg::host);
    registry.add("PGPORT", pg::port);
    registry.add("PGDATABASE", pg::database);
    registry.add("PGUSER", pg::user);
    registry.add("PGPASSWORD", pg::password);
    registry.add("DATIS_TABLES", () -> "public.items");
    registry.add("PUBSUB_PROJECT", () -> "test-project");
    registry.add("PUBSUB_TOPIC", () -> "items-cdc");
    registry.add("datis.pipelines.changes.pubsub.emulator-host", pubsub::hostPort);
  }

  /** The pipeline stops before PostgreSQL and Pub/Sub do. */
  @AfterAll
  static void stopThePipelineFirst(@Autowired DatisPipelines pipelines) {
    pipelines.stop();
  }

  @Test
  void deliversARowInsertedInPostgresToTheSubscription() throws Exception {
    pg.execute("INSERT INTO public.items VALUES (7, 'kettle')");

    List<PubsubMessage> messages = new ArrayList<>();
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              messages.addAll(pubsub.pull("test-project", "items-cdc-sub", 10));
              return !messages.isEmpty();
            });

    assertThat(messages).hasSize(1);
    assertThat(messages.get(0).getOrderingKey()).isEqualTo("public.items:[7]");
    ChangeEvent event = DatisMessages.decode(messages.get(0));
    assertThat(event.operation()).isEqualTo(Operation.INSERT);
    assertThat(event.table().toString()).isEqualTo("public.items");
    assertThat(event.after().orElseThrow()).containsEntry("id", 7L).containsEntry("name", "kettle");
  }

  @Test
  void servesHealthProbesAndPrometheusMetrics() throws Exception {
    await().atMost(TIMEOUT).until(() -> get("/actuator/health/readiness").status() == 200);

    Response health = get("/actuator/health");
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().path("status").asString()).isEqualTo("UP");
    JsonNode changes = health.json().path("components").path("datis").path("components");
    assertThat(changes.path("changes").path("status").asString()).isEqualTo("UP");
    assertThat(changes.path("changes").path("details").path("role").asString()).isEqualTo("ACTIVE");

    Response readiness = get("/actuator/health/readiness");
    assertThat(readiness.json().path("status").asString()).isEqualTo("UP");
    assertThat(readiness.json().path("components").has("datis")).isTrue();
    assertThat(readiness.json().path("components").has("readinessState")).isTrue();

    Response liveness = get("/actuator/health/liveness");
    assertThat(liveness.status()).isEqualTo(200);
    // The process is alive, whatever its pipeline does: a failed pipeline stops the application.
    assertThat(liveness.json().toString()).isEqualTo("{\"status\":\"UP\"}");

    HttpResponse<String> prometheus = send("/actuator/prometheus");
    assertThat(prometheus.statusCode()).isEqualTo(200);
    assertThat(prometheus.headers().firstValue("Content-Type"))
        .get()
        .asString()
        .startsWith("text/plain");
    assertThat(prometheus.body())
        .contains("datis_pipeline_active{pipeline=\"changes\"} 1.0")
        .contains("datis_replication_slot_lag")
        .contains("jvm_memory_used_bytes");
  }

  private Response get(String path) throws Exception {
    HttpResponse<String> response = send(path);
    return new Response(response.statusCode(), json.readTree(response.body()));
  }

  private HttpResponse<String> send(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private record Response(int status, JsonNode json) {}
}
