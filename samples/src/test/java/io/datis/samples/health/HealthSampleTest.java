package io.datis.samples.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.Health;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The runnable sample, as its user runs it: serving until interrupted (what Ctrl+C does in main).
 */
class HealthSampleTest {

  private static final Pattern SERVING =
      Pattern.compile("Serving health on (http://\\S+/)health and metrics on ");

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void servesHealthAndMetricsWhileOrdersFlowThenClosesCleanlyWhenInterrupted() throws Exception {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);
    CompletableFuture<Health> result = new CompletableFuture<>();
    AtomicBoolean interruptRestored = new AtomicBoolean();
    Thread sample =
        new Thread(
            () -> {
              try {
                Health last = HealthSample.run(0, null, out);
                interruptRestored.set(Thread.currentThread().isInterrupted());
                result.complete(last);
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            },
            "health-sample");
    sample.start();

    URI base =
        await()
            .atMost(Duration.ofSeconds(120))
            .until(() -> servingAt(output.toString(StandardCharsets.UTF_8)), Optional::isPresent)
            .orElseThrow();
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              assertThat(get(base.resolve("/health")).body()).contains("\"status\":\"UP\"");
              assertThat(get(base.resolve("/metrics")).body())
                  .containsPattern(
                      "(?m)^datis_events_delivered_total\\{operation=\"update\",pipeline=\"health-sample\","
                          + "table=\"public.orders\"} [1-9]");
            });
    sample.interrupt();

    Health last = result.get(60, TimeUnit.SECONDS);
    assertThat(last.status()).isEqualTo(Health.Status.UP);
    assertThat(interruptRestored).isTrue();
    assertThat(output.toString(StandardCharsets.UTF_8).lines())
        .last()
        .asString()
        .matches("[1-9][0-9]* orders placed and paid; health: UP, last event .*");
  }

  private static Optional<URI> servingAt(String output) {
    Matcher serving = SERVING.matcher(output);
    return serving.find() ? Optional.of(URI.create(serving.group(1))) : Optional.empty();
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
