package io.datis.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.Pipeline;
import io.datis.api.SourceException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.api.transform.Transforms;
import io.datis.spring.boot.internal.DatisFailureAnalyzer;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import io.datis.testkit.pubsub.LocalPubSub;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Spring Boot application with the starter, as a user would write it: an embedded PostgreSQL, a
 * pipeline configured by properties publishing to a local Pub/Sub server through a transform bean,
 * and Actuator's health and Prometheus endpoints read over HTTP. Also the failures that stop, or do
 * not stop, an application (with {@link ApplicationContextRunner}s on the same database).
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "datis.pipelines.orders.tables=public.orders",
      "datis.pipelines.orders.snapshot=changes-only",
      "datis.pipelines.orders.offsets.store=postgres",
      "datis.pipelines.orders.transforms=maskEmails",
      "datis.pipelines.orders.pubsub.project=demo",
      "datis.pipelines.orders.pubsub.topic=orders-cdc",
      "datis.pipelines.orders.pubsub.create-topic-if-missing=true",
      "management.endpoints.web.exposure.include=health,prometheus",
      "management.endpoint.health.show-details=always",
      "spring.lifecycle.timeout-per-shutdown-phase=15s"
    })
@DirtiesContext
class DatisApplicationTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final HttpClient http = HttpClient.newHttpClient();
  private static final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired DatisPipelines pipelines;

  @BeforeAll
  static void createTables() {
    pg.execute(
        "CREATE TABLE orders (id int PRIMARY KEY, email text, total numeric)",
        "CREATE TABLE audit (id int PRIMARY KEY, note text)");
  }

  @DynamicPropertySource
  static void connections(DynamicPropertyRegistry registry) {
    registry.add("datis.source.jdbc-url", pg::jdbcUrl);
    registry.add("datis.source.user", pg::user);
    registry.add("datis.source.password", pg::password);
    registry.add("datis.pipelines.orders.pubsub.emulator-host", pubsub::hostPort);
  }

  /**
   * The pipelines stop before PostgreSQL and Pub/Sub do (JUnit closes those before Spring closes
   * the application).
   */
  @AfterAll
  static void stopThePipelinesFirst(@Autowired DatisPipelines pipelines) {
    pipelines.stop();
  }

  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class OrdersApplication {
    @Bean
    Transform maskEmails() {
      return Transforms.maskColumns(value -> "***", "email");
    }
  }

  @Test
  void deliversChangesToPubSubAndShowsHealthAndMetricsOverHttp() throws Exception {
    Pipeline orders = pipelines.pipeline("orders").orElseThrow();
    assertThat(orders.isRunning()).isTrue();
    pg.execute(
        "INSERT INTO orders VALUES (1, 'ada@example.com', 19.90)",
        "UPDATE orders SET total = 25 WHERE id = 1");

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> pubsub.publishedEvents("demo", "orders-cdc").size() == 2);
    List<ChangeEvent> events = pubsub.publishedEvents("demo", "orders-cdc");
    assertThat(events.get(0).after().orElseThrow()).containsEntry("email", "***");
    assertThat(events.get(1).after().orElseThrow()).containsEntry("id", 1L);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> "UP".equals(get("/actuator/health").body().path("status").asString()));
    Response<JsonNode> health = get("/actuator/health");
    assertThat(health.status()).isEqualTo(200);
    JsonNode datis = health.body().path("components").path("datis");
    assertThat(datis.path("status").asString()).isEqualTo("UP");
    JsonNode ordersHealth = datis.path("components").path("orders");
    assertThat(ordersHealth.path("status").asString()).isEqualTo("UP");
    assertThat(ordersHealth.path("details").path("role").asString()).isEqualTo("ACTIVE");
    assertThat(ordersHealth.path("details").has("roleSince")).isTrue();
    assertThat(ordersHealth.path("details").path("reasons").isArray()).isTrue();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                get("/actuator/health")
                    .body()
                    .path("components")
                    .path("datis")
                    .path("components")
                    .path("orders")
                    .path("details")
                    .has("lastCommittedLsn"));

    Response<JsonNode> readiness = get("/actuator/health/readiness");
    assertThat(readiness.status()).isEqualTo(200);
    assertThat(readiness.body().path("components").has("datis")).isTrue();
    assertThat(readiness.body().path("components").has("readinessState")).isTrue();

    HttpResponse<String> prometheus =
        http.send(
            HttpRequest.newBuilder(uri("/actuator/prometheus")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(prometheus.statusCode()).isEqualTo(200);
    assertThat(prometheus.body())
        .containsPattern(
            "datis_events_delivered_total\\{operation=\"insert\",pipeline=\"orders\","
                + "table=\"public.orders\"} 1\\.0")
        .containsPattern("datis_pipeline_active\\{pipeline=\"orders\"} 1\\.0");
  }

  @Test
  void aPipelineThatCannotStartFailsTheApplicationsStartByDefault() {
    runnerOnTheSameDatabase()
        .withPropertyValues(
            "datis.pipelines.missing.tables=public.no_such_table",
            "datis.pipelines.missing.offsets.store=in-memory",
            "datis.pipelines.missing.sink=sink")
        .run(
            context -> {
              assertThat(context).hasFailed();
              FailureAnalysis analysis =
                  new DatisFailureAnalyzer().analyze(context.getStartupFailure());
              assertThat(analysis).isNotNull();
              assertThat(analysis.getCause()).isInstanceOf(SourceException.class);
              assertThat(analysis.getDescription()).contains("public.no_such_table");
              assertThat(analysis.getAction())
                  .contains("datis.stop-application-on-pipeline-failure=false");
            });
  }

  @Test
  void aPipelineThatCannotStartIsDownWhileTheApplicationRunsOnWhenAsked() {
    runnerOnTheSameDatabase()
        .withPropertyValues(
            "datis.stop-application-on-pipeline-failure=false",
            "datis.pipelines.missing.tables=public.no_such_table",
            "datis.pipelines.missing.offsets.store=in-memory",
            "datis.pipelines.missing.sink=sink")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              DatisPipelines started = context.getBean(DatisPipelines.class);
              assertThat(started.pipeline("missing")).isEmpty();
              assertThat(started.startFailure("missing")).get().isInstanceOf(SourceException.class);
              HealthIndicator missing = missingPipelineHealth(context);
              assertThat(missing.health()).isNotNull();
              assertThat(missing.health().getStatus()).isEqualTo(Status.DOWN);
              assertThat(missing.health().getDetails().get("reasons").toString())
                  .contains("could not start", "public.no_such_table");
            });
  }

  @Test
  void aPipelineThatFailsLaterClosesTheApplication() {
    runnerOnTheSameDatabase()
        .withPropertyValues(
            "datis.pipelines.audit.tables=public.audit",
            "datis.pipelines.audit.offsets.store=in-memory",
            "datis.pipelines.audit.snapshot=changes-only",
            "datis.pipelines.audit.sink=sink")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              InMemorySink sink = (InMemorySink) context.getBean("sink", Sink.class);
              sink.failNext(1);
              pg.execute("INSERT INTO audit VALUES (1, 'boom')");
              ConfigurableApplicationContext application = context.getSourceApplicationContext();
              await().atMost(Duration.ofSeconds(20)).until(() -> !application.isActive());
            });
  }

  @Test
  void theApplicationsOpenTelemetryTracesEachPipelinesDeliveriesUnlessTurnedOff() {
    pg.execute("CREATE TABLE IF NOT EXISTS traced (id int PRIMARY KEY)");
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk openTelemetry =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .build();
    ApplicationContextRunner traced =
        runnerOnTheSameDatabase()
            .withBean(OpenTelemetry.class, () -> openTelemetry)
            .withPropertyValues(
                "datis.pipelines.traced.tables=public.traced",
                "datis.pipelines.traced.offsets.store=in-memory",
                "datis.pipelines.traced.snapshot=changes-only",
                "datis.pipelines.traced.sink=sink");
    traced.run(
        context -> {
          InMemorySink sink = (InMemorySink) context.getBean("sink", Sink.class);
          pg.execute("INSERT INTO traced VALUES (1)");
          ChangeEvent event = sink.awaitEvents(1, Duration.ofSeconds(30)).get(0);
          await()
              .atMost(Duration.ofSeconds(30))
              .until(() -> !spans.getFinishedSpanItems().isEmpty());
          SpanData span = spans.getFinishedSpanItems().get(0);
          assertThat(span.getName()).isEqualTo("datis deliver traced");
          assertThat(event.traceParent()).get().asString().contains(span.getSpanId());
        });
    traced
        .withPropertyValues("datis.tracing.enabled=false")
        .run(
            context -> {
              InMemorySink sink = (InMemorySink) context.getBean("sink", Sink.class);
              pg.execute("INSERT INTO traced VALUES (2)");
              assertThat(sink.awaitEvents(1, Duration.ofSeconds(30)).get(0).traceParent())
                  .isEmpty();
            });
    openTelemetry.close();
  }

  private static ApplicationContextRunner runnerOnTheSameDatabase() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(DatisAutoConfiguration.class, DatisHealthAutoConfiguration.class))
        .withBean("sink", InMemorySink.class)
        .withPropertyValues(
            "datis.source.jdbc-url=" + pg.jdbcUrl(),
            "datis.source.user=" + pg.user(),
            "datis.source.password=" + pg.password());
  }

  private static HealthIndicator missingPipelineHealth(ConfigurableApplicationContext context) {
    HealthContributor datis = context.getBean("datisHealthContributor", HealthContributor.class);
    return (HealthIndicator)
        ((org.springframework.boot.health.contributor.CompositeHealthContributor) datis)
            .getContributor("missing");
  }

  private Response<JsonNode> get(String path) throws Exception {
    HttpResponse<String> response =
        http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    return new Response<>(response.statusCode(), json.readTree(response.body()));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private record Response<T>(int status, T body) {}
}
