package io.datis.samples.snippets;

import io.datis.Datis;
import io.datis.Pipeline;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.postgres.PostgresSource;

/**
 * Short fragments the README shows outside the runnable samples, kept here so that they compile
 * ({@code ReadmeSnippetsTest} checks the README shows them as they are). Not meant to be run.
 */
public final class ReadmeFragments {

  private ReadmeFragments() {}

  static void oneLine(PostgresSource pg, Transform t, Sink sink) throws InterruptedException {
    // [one-line]
    try (Pipeline p = Datis.capture(pg).tables("public.orders").transform(t).to(sink).start()) {
      p.awaitTermination(); // returns when closed, throws if the pipeline fails
    }
    // [one-line]
  }

  static void readAgain(Pipeline pipeline) {
    // [snapshot]
    pipeline.snapshot("public.orders").toCompletableFuture().join();
    // [snapshot]
  }

  static PostgresSource ownDatabase() {
    // [postgres-source]
    PostgresSource source =
        PostgresSource.builder()
            .jdbcUrl("jdbc:postgresql://db.internal:5432/shop?sslmode=require")
            .user("datis")
            .password(System.getenv("DATIS_PASSWORD"))
            .build();
    // [postgres-source]
    return source;
  }
}
