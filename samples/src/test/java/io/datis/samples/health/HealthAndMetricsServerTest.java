package io.datis.samples.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.event.Position;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The endpoints against a real pipeline on a real PostgreSQL, probed over real HTTP. */
class HealthAndMetricsServerTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final InMemorySink sink = new InMemorySink();

  @Test
  void servesUpWithTheCommittedPositionAndTheEventCountsThenDownWith503OnceTheSinkFails()
      throws Exception {
    pg.execute("CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL)");
    try (Pipeline pipeline = startPipeline("health-up", "public.orders");
        HealthAndMetricsServer http =
            HealthAndMetricsServer.start(pipeline, registry, loopback())) {
      pg.execute("INSERT INTO orders VALUES (1, 'coffee'), (2, 'tea'), (3, 'cake')");
      long lastRowLsn = sink.awaitEvents(3, TIMEOUT).get(2).position().lsn();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                HttpResponse<String> health = get(http, "/health");
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(health.headers().firstValue("Content-Type"))
                    .hasValue("application/json");
                JsonNode json = JSON.readTree(health.body());
                assertThat(json.get("pipeline").asText()).isEqualTo("health-up");
                assertThat(json.get("status").asText()).isEqualTo("UP");
                assertThat(json.get("reasons")).isEmpty();
                assertThat(Instant.parse(json.get("lastEventTime").asText()))
                    .isBefore(Instant.now());
                assertThat(json.get("lastCommittedLsn").isTextual())
                    .as("lastCommittedLsn in %s", json)
                    .isTrue();
                assertThat(Position.parseLsn(json.get("lastCommittedLsn").asText()))
                    .isGreaterThanOrEqualTo(lastRowLsn);
              });
      HttpResponse<String> metrics = get(http, "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(metrics.body().lines())
          .contains(
              "datis_events_captured_total{operation=\"insert\",pipeline=\"health-up\",table=\"public.orders\"} 3.0",
              "datis_events_delivered_total{operation=\"insert\",pipeline=\"health-up\",table=\"public.orders\"} 3.0");

      sink.failNext(1);
      pg.execute("INSERT INTO orders VALUES (4, 'secret pie')");

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                HttpResponse<String> health = get(http, "/health");
                assertThat(health.statusCode()).isEqualTo(503);
                JsonNode json = JSON.readTree(health.body());
                assertThat(json.get("status").asText()).isEqualTo("DOWN");
                assertThat(json.get("reasons"))
                    .singleElement()
                    .extracting(JsonNode::asText)
                    .asString()
                    .startsWith(
                        "failed: Sink io.datis.testkit.InMemorySink failed to deliver a batch of 1 events")
                    .contains(
                        "java.io.IOException: InMemorySink: scripted failure of a batch of 1 events")
                    .doesNotContain("secret pie");
                assertThat(Position.parseLsn(json.get("lastCommittedLsn").asText()))
                    .isGreaterThanOrEqualTo(lastRowLsn);
              });
      assertThat(get(http, "/metrics").body().lines())
          .contains(
              "datis_events_failed_total{operation=\"insert\",pipeline=\"health-up\",table=\"public.orders\"} 1.0",
              "datis_events_delivered_total{operation=\"insert\",pipeline=\"health-up\",table=\"public.orders\"} 3.0");
    }
  }

  @Test
  void reportsDownWith503AfterThePipelineIsClosed() throws Exception {
    pg.execute("CREATE TABLE public.closing (id int PRIMARY KEY)");
    Pipeline pipeline = startPipeline("health-closed", "public.closing");
    try (HealthAndMetricsServer http =
        HealthAndMetricsServer.start(pipeline, registry, loopback())) {
      assertThat(get(http, "/health").statusCode()).isEqualTo(200);

      pipeline.close();

      HttpResponse<String> health = get(http, "/health");
      assertThat(health.statusCode()).isEqualTo(503);
      JsonNode json = JSON.readTree(health.body());
      assertThat(json.get("status").asText()).isEqualTo("DOWN");
      assertThat(json.get("reasons")).extracting(JsonNode::asText).containsExactly("closed");
      assertThat(json.get("lastEventTime").isNull()).isTrue();
      assertThat(json.get("lastCommittedLsn").isNull()).isTrue();
    } finally {
      pipeline.close();
    }
  }

  @Test
  void answersGetAndHeadOnItsTwoPathsOnly() throws Exception {
    pg.execute("CREATE TABLE public.paths (id int PRIMARY KEY)");
    try (Pipeline pipeline = startPipeline("health-paths", "public.paths");
        HealthAndMetricsServer http =
            HealthAndMetricsServer.start(pipeline, registry, loopback())) {
      HttpResponse<String> head =
          send(
              HttpRequest.newBuilder(http.uri().resolve("/health"))
                  .method("HEAD", BodyPublishers.noBody()));
      HttpResponse<String> post =
          send(
              HttpRequest.newBuilder(http.uri().resolve("/metrics"))
                  .POST(BodyPublishers.ofString("x")));
      HttpResponse<String> elsewhere = get(http, "/healthz");

      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
      assertThat(post.body()).isEqualTo("POST is not allowed on /metrics: use GET or HEAD\n");
      assertThat(elsewhere.statusCode()).isEqualTo(404);
      assertThat(elsewhere.body())
          .isEqualTo("Not found. This server answers GET /health and GET /metrics\n");
    }
  }

  @Test
  void saysWhichPortCannotBeServedAndHowToFixIt() throws Exception {
    pg.execute("CREATE TABLE public.ports (id int PRIMARY KEY)");
    try (Pipeline pipeline = startPipeline("health-ports", "public.ports");
        HealthAndMetricsServer http =
            HealthAndMetricsServer.start(pipeline, registry, loopback())) {
      InetSocketAddress taken =
          new InetSocketAddress(InetAddress.getLoopbackAddress(), http.port());

      assertThatThrownBy(() -> HealthAndMetricsServer.start(pipeline, registry, taken))
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageStartingWith(
              "Cannot serve the health of pipeline 'health-ports' on " + taken + ": ")
          .hasMessageEndingWith(". Choose a free port, or 0 for any free one");
      assertThatThrownBy(() -> HealthAndMetricsServer.start(pipeline, registry, 65536))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("port must be between 0 (any free port) and 65535, but was 65536");
    }
  }

  private Pipeline startPipeline(String name, String table) {
    return Datis.capture(pg.source())
        .name(name)
        .tables(table)
        .snapshot(SnapshotMode.CHANGES_ONLY)
        .offsets(OffsetStore.inMemory())
        .metrics(registry)
        .to(sink)
        .start();
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  private HttpResponse<String> get(HealthAndMetricsServer http, String path) throws Exception {
    return send(HttpRequest.newBuilder(http.uri().resolve(path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(
        request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
