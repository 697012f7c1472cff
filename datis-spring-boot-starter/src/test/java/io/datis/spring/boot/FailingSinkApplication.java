package io.datis.spring.boot;

import io.datis.api.sink.Sink;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * An application whose pipeline fails once it has started: its sink refuses every batch, and a
 * runner inserts a row into {@code public.events} when the application has started. {@link
 * PipelineFailureExitTest} runs it with its {@code main}, in a JVM of its own, and gives the
 * pipeline and its database as arguments ({@code --datis.pipelines.events.sink=refusingSink}, ...).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class FailingSinkApplication {

  /** The message of the sink's failure. */
  static final String REFUSAL = "the warehouse refused the batch";

  /** Runs the application until it is stopped, or its pipeline fails. */
  public static void main(String[] args) {
    SpringApplication.run(FailingSinkApplication.class, args);
  }

  @Bean
  Sink refusingSink() {
    return batch -> CompletableFuture.failedFuture(new IOException(REFUSAL));
  }

  @Bean
  ApplicationRunner insertARow(DatisProperties properties) {
    DatisProperties.Source source = properties.source();
    return arguments -> {
      try (Connection connection =
              DriverManager.getConnection(source.jdbcUrl(), source.user(), source.password());
          Statement statement = connection.createStatement()) {
        statement.execute("INSERT INTO public.events (note) VALUES ('boom')");
      }
    };
  }
}
