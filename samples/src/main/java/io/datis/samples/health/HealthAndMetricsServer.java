package io.datis.samples.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.datis.Health;
import io.datis.Pipeline;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a pipeline's health and Prometheus metrics over HTTP with the JDK's built-in server, no
 * web framework. Copy this class into your application (it needs {@code
 * micrometer-registry-prometheus} and {@code jackson-databind}):
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * try (Pipeline pipeline = Datis.capture(source).tables("public.orders").metrics(registry).to(sink).start();
 *     HealthAndMetricsServer http = HealthAndMetricsServer.start(pipeline, registry, 8080)) {
 *   pipeline.awaitTermination(); // throws if the pipeline fails
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@code GET /health}: the pipeline's {@link Health} as JSON, such as {@code
 *       {"pipeline":"orders",
 *       "status":"UP","reasons":[],"lastEventTime":"2026-11-26T17:00:00.123Z","lastCommittedLsn":"0/16B3748","slotLagBytes":4096}}
 *       ({@code null} for a time or position not known yet), with HTTP status 200 for UP and
 *       DEGRADED and 503 for DOWN.
 *   <li>{@code GET /metrics}: every meter of the registry in the Prometheus text format 0.0.4,
 *       among them the pipeline's {@code datis_*} meters, such as {@code
 *       datis_events_delivered_total{operation="insert", pipeline="orders",table="public.orders"}
 *       3.0}.
 * </ul>
 *
 * Both also answer {@code HEAD}; other methods get 405 and other paths 404.
 *
 * <p><b>Why DEGRADED answers 200.</b> DEGRADED means the sink is retrying: the pipeline recovers by
 * itself, and restarting it would only deliver again what is not committed yet. DOWN means closed
 * or failed, which a pipeline never recovers from; a new one (in a restarted container) resumes
 * from the committed offsets. So {@code /health} suits a Kubernetes liveness probe, which restarts
 * the container after a few 503s; watch a long DEGRADED through the JSON's reasons or {@code
 * datis_sink_retries_total} instead of restarting on it. A pipeline takes no requests, so readiness
 * matters only if a Service routes to the pod; the same path serves there.
 *
 * <pre>
 * livenessProbe:
 *   httpGet: {path: /health, port: 8080}
 *   initialDelaySeconds: 30
 *   periodSeconds: 10
 *   failureThreshold: 3
 * </pre>
 *
 * <p>The responses hold no row values (Datis keeps them out of its messages), but they do name the
 * pipeline, its tables and its failure: serve them on the cluster's network, not to the internet.
 * {@link #start(Pipeline, PrometheusMeterRegistry, int)} listens on every interface, as a probe
 * from the kubelet needs. Requests are answered on two daemon threads; {@link #close()} stops the
 * server, not the pipeline.
 */
public final class HealthAndMetricsServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HealthAndMetricsServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String PLAIN_TEXT = "text/plain; charset=utf-8";

  private final Pipeline pipeline;
  private final PrometheusMeterRegistry registry;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicBoolean warnedOfFailure = new AtomicBoolean();

  private HealthAndMetricsServer(
      Pipeline pipeline,
      PrometheusMeterRegistry registry,
      HttpServer server,
      ExecutorService executor) {
    this.pipeline = pipeline;
    this.registry = registry;
    this.server = server;
    this.executor = executor;
  }

  /**
   * Serves on {@code port} of every interface; 0 picks a free port (see {@link #port()}).
   *
   * @throws UncheckedIOException if the port cannot be listened on, for example because it is in
   *     use
   */
  public static HealthAndMetricsServer start(
      Pipeline pipeline, PrometheusMeterRegistry registry, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          "port must be between 0 (any free port) and 65535, but was " + port);
    }
    return start(pipeline, registry, new InetSocketAddress(port));
  }

  /**
   * Serves on the given address, such as {@code new
   * InetSocketAddress(InetAddress.getLoopbackAddress(), 0)} for a free port reachable from this
   * machine only.
   *
   * @throws UncheckedIOException if the address cannot be listened on, for example because the port
   *     is in use
   */
  public static HealthAndMetricsServer start(
      Pipeline pipeline, PrometheusMeterRegistry registry, InetSocketAddress address) {
    Objects.requireNonNull(pipeline, "pipeline");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(address, "address");
    HttpServer server;
    try {
      server = HttpServer.create(address, 0);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot serve the health of pipeline '"
              + pipeline.name()
              + "' on "
              + address
              + ": "
              + e.getMessage()
              + ". Choose a free port, or 0 for any free one",
          e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(2, daemonThreads("datis-http-" + pipeline.name()));
    HealthAndMetricsServer endpoints =
        new HealthAndMetricsServer(pipeline, registry, server, executor);
    server.createContext("/", endpoints::handle);
    server.setExecutor(executor);
    server.start();
    URI uri = endpoints.uri();
    log.info("Pipeline '{}': health on {}health, metrics on {}metrics", pipeline.name(), uri, uri);
    return endpoints;
  }

  /**
   * The HTTP status that {@code /health} answers for a status: 200 for STARTING, UP and DEGRADED,
   * 503 (Service Unavailable) for DOWN; see the class description for why.
   */
  public static int httpStatus(Health.Status status) {
    return status == Health.Status.DOWN ? 503 : 200;
  }

  /** The port served on, the one chosen if 0 was asked for. */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * The base URI, such as {@code http://127.0.0.1:8080/}; {@code localhost} when serving every
   * interface.
   */
  public URI uri() {
    InetAddress address = server.getAddress().getAddress();
    String host = address.isAnyLocalAddress() ? "localhost" : address.getHostAddress();
    if (host.indexOf(':') >= 0) {
      host = '[' + host + ']'; // IPv6
    }
    return URI.create("http://" + host + ':' + port() + '/');
  }

  /** Stops serving at once; the pipeline keeps running. Idempotent. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      String method = exchange.getRequestMethod();
      Response response = respond(method, exchange.getRequestURI().getPath());
      exchange.getResponseHeaders().set("Content-Type", response.contentType);
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      if (response.status == 405) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      }
      if (method.equals("HEAD") || response.body.length == 0) {
        exchange.sendResponseHeaders(response.status, -1); // -1: no body
      } else {
        exchange.sendResponseHeaders(response.status, response.body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(response.body);
        }
      }
    } finally {
      exchange.close();
    }
  }

  private Response respond(String method, String path) {
    if (!path.equals("/health") && !path.equals("/metrics")) {
      return Response.text(404, "Not found. This server answers GET /health and GET /metrics");
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return Response.text(405, method + " is not allowed on " + path + ": use GET or HEAD");
    }
    try {
      return path.equals("/health") ? health() : metrics();
    } catch (IOException | RuntimeException e) {
      // A failure that repeats on every probe is worth one WARN, not one per probe.
      if (warnedOfFailure.compareAndSet(false, true)) {
        log.warn("Pipeline '{}': cannot answer {}: {}", pipeline.name(), path, e.toString(), e);
      } else {
        log.debug("Pipeline '{}': cannot answer {}: {}", pipeline.name(), path, e.toString());
      }
      return Response.text(500, "Cannot answer " + path + ": " + e);
    }
  }

  private Response health() throws JsonProcessingException {
    Health health = pipeline.health();
    Map<String, @Nullable Object> json = new LinkedHashMap<>();
    json.put("pipeline", pipeline.name());
    json.put("status", health.status().name());
    json.put("reasons", health.reasons());
    json.put("lastEventTime", health.lastEventTime().map(Instant::toString).orElse(null));
    json.put("lastCommittedLsn", health.lastCommittedLsn().orElse(null));
    json.put(
        "slotLagBytes",
        health.slotLagBytes().isPresent() ? health.slotLagBytes().getAsLong() : null);
    return new Response(
        httpStatus(health.status()), "application/json", JSON.writeValueAsBytes(json));
  }

  private Response metrics() throws IOException {
    // Into bytes directly: scrape() as a String would decode them with the platform's charset.
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    registry.scrape(text);
    return new Response(200, PROMETHEUS_TEXT, text.toByteArray());
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, prefix + '-' + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  private static final class Response {
    final int status;
    final String contentType;
    final byte[] body;

    Response(int status, String contentType, byte[] body) {
      this.status = status;
      this.contentType = contentType;
      this.body = body;
    }

    static Response text(int status, String text) {
      return new Response(status, PLAIN_TEXT, (text + '\n').getBytes(StandardCharsets.UTF_8));
    }
  }
}
