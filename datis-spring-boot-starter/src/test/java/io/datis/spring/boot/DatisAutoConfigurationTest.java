package io.datis.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.api.ConfigurationException;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import io.datis.postgres.PostgresSource;
import io.datis.pubsub.PubSubSink;
import io.datis.spring.boot.internal.DatisFailureAnalyzer;
import io.datis.spring.boot.internal.PipelineFactory;
import io.datis.testkit.InMemorySink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.env.MockEnvironment;

/**
 * The auto-configuration's conditions, overrides and startup checks, without a database: the
 * pipelines are configured but not started ({@code datis.auto-startup=false}).
 */
class DatisAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(DatisAutoConfiguration.class))
          .withPropertyValues("datis.auto-startup=false");

  @Test
  void buildsTheSourceFromDatisSourceProperties() {
    runner
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db.internal:6543/shop?sslmode=require",
            "datis.source.user=datis",
            "datis.source.password=secret")
        .run(
            context -> {
              PostgresSource source = context.getBean(PostgresSource.class);
              assertThat(source.host()).isEqualTo("db.internal");
              assertThat(source.port()).isEqualTo(6543);
              assertThat(source.database()).isEqualTo("shop");
              assertThat(source.user()).isEqualTo("datis");
              assertThat(source.connectionProperties()).containsEntry("sslmode", "require");
              assertThat(source.toString()).doesNotContain("secret");
            });
  }

  @Test
  void buildsTheSourceFromHostAndDatabase() {
    runner
        .withPropertyValues(
            "datis.source.host=db.internal",
            "datis.source.database=shop",
            "datis.source.user=datis",
            "datis.source.connection-properties.ApplicationName=orders")
        .run(
            context -> {
              PostgresSource source = context.getBean(PostgresSource.class);
              assertThat(source.jdbcUrl())
                  .isEqualTo("jdbc:postgresql://db.internal:5432/shop?ApplicationName=orders");
            });
  }

  @Test
  void buildsTheSourceFromSpringDataSourceWhenDatisHasNone() {
    runner
        .withPropertyValues(
            "spring.datasource.url=jdbc:postgresql://app-db:5432/app",
            "spring.datasource.username=app",
            "spring.datasource.password=secret")
        .run(
            context -> {
              PostgresSource source = context.getBean(PostgresSource.class);
              assertThat(source.host()).isEqualTo("app-db");
              assertThat(source.database()).isEqualTo("app");
              assertThat(source.user()).isEqualTo("app");
              assertThat(context).hasBean("datisPostgresSource");
            });
  }

  @Test
  void prefersDatisSourceOverSpringDataSource() {
    runner
        .withPropertyValues(
            "spring.datasource.url=jdbc:postgresql://app-db:5432/app",
            "spring.datasource.username=app",
            "datis.source.jdbc-url=jdbc:postgresql://replica:5432/app",
            "datis.source.user=datis")
        .run(
            context -> {
              assertThat(context).hasSingleBean(PostgresSource.class);
              assertThat(context.getBean(PostgresSource.class).host()).isEqualTo("replica");
            });
  }

  @Test
  void ignoresADataSourceThatIsNotPostgres() {
    runner
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:test")
        .run(context -> assertThat(context).doesNotHaveBean(PostgresSource.class));
  }

  @Test
  void backsOffForTheApplicationsOwnSource() {
    runner
        .withUserConfiguration(OwnSource.class)
        .withPropertyValues("datis.source.jdbc-url=jdbc:postgresql://ignored:5432/x")
        .run(
            context -> {
              assertThat(context).hasSingleBean(PostgresSource.class);
              assertThat(context.getBean(PostgresSource.class).host()).isEqualTo("own-db");
            });
  }

  @Test
  void takesSinksAndTransformsByBeanName() {
    runner
        .withUserConfiguration(Beans.class)
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders,public.order_lines",
            "datis.pipelines.orders.transforms=keepAll",
            "datis.pipelines.orders.sink=ordersSink",
            "datis.pipelines.audit.tables=public.audit",
            "datis.pipelines.audit.sink=auditSink",
            "datis.pipelines.audit.offsets.store=in-memory",
            "datis.pipelines.audit.error-policy=skip",
            "datis.pipelines.audit.max-in-flight-bytes=64MB",
            "datis.pipelines.audit.debezium.heartbeat.interval.ms=10000")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              DatisPipelines pipelines = context.getBean(DatisPipelines.class);
              assertThat(pipelines.names()).containsExactly("orders", "audit");
              assertThat(pipelines.isRunning()).isFalse();
              assertThat(pipelines.pipeline("orders")).isEmpty();
            });
  }

  @Test
  void appliesCustomizersToEveryPipeline() {
    List<String> customized = new ArrayList<>();
    runner
        .withUserConfiguration(Beans.class)
        .withBean(
            DatisPipelineCustomizer.class,
            () ->
                (name, builder) -> customized.add(name + ":" + builder.getClass().getSimpleName()))
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.sink=ordersSink")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(customized).containsExactly("orders:PipelineBuilder");
            });
  }

  @Test
  void aPipelineWithoutSinkStopsTheStartNamingTheProperty() {
    runner
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders")
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .isInstanceOf(ConfigurationException.class)
                  .hasMessage(
                      "Invalid Datis configuration: datis.pipelines.orders.sink is not set, and"
                          + " there is no datis.pipelines.orders.pubsub block: set"
                          + " datis.pipelines.orders.sink to the name of a Sink bean, or configure"
                          + " datis.pipelines.orders.pubsub.project and .topic (with"
                          + " io.datis:datis-pubsub on the class path)");
            });
  }

  @Test
  void reportsEveryProblemOfEveryPipelineAtOnce() {
    runner
        .withUserConfiguration(Beans.class)
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.sink=ordersSink",
            "datis.pipelines.orders.max-batch-size=0",
            "datis.pipelines.orders.transforms=maskEmails",
            "datis.pipelines.audit.tables=audit",
            "datis.pipelines.audit.sink=ordersSink",
            "datis.pipelines.audit.slot-name=Audit-Slot",
            "datis.pipelines.audit.debezium.snapshot.mode=never")
        .run(
            context -> {
              assertThat(context).hasFailed();
              ConfigurationException failure =
                  (ConfigurationException) rootCause(context.getStartupFailure());
              assertThat(failure.problems())
                  .containsExactly(
                      "datis.pipelines.orders.tables is not set: list the tables to capture,"
                          + " schema-qualified, e.g."
                          + " datis.pipelines.orders.tables=public.orders,public.order_lines",
                      "datis.pipelines.orders.max-batch-size is invalid: maxBatchSize must be at"
                          + " least 1, but was 0",
                      "datis.pipelines.orders.transforms names 'maskEmails', but there is no bean"
                          + " of that name: declare a Transform bean named 'maskEmails' (the"
                          + " Transform beans are keepAll)",
                      "datis.pipelines.audit.tables is invalid: Table name 'audit' is not"
                          + " schema-qualified: write it as schema.table, e.g. 'public.audit'",
                      "datis.pipelines.audit.slot-name is invalid: Invalid replication slot name"
                          + " 'Audit-Slot': use 1 to 63 lower-case letters, digits and"
                          + " underscores, e.g. 'orders_cdc'",
                      failure.problems().get(5),
                      "datis.pipelines.audit.sink names the bean 'ordersSink', which pipeline"
                          + " 'orders' delivers to already: a sink serves one pipeline, so declare"
                          + " a Sink bean for each");
              assertThat(failure.problems().get(5))
                  .startsWith(
                      "datis.pipelines.audit.debezium.snapshot.mode is invalid: Debezium property"
                          + " 'snapshot.mode' cannot be set");
            });
  }

  @Test
  void anExitCodeThatIsNoExitStatusNamesTheProperty() {
    runner
        .withUserConfiguration(Beans.class)
        .withPropertyValues(
            "datis.exit-code-on-pipeline-failure=256",
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.sink=ordersSink")
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .isInstanceOf(ConfigurationException.class)
                  .hasMessage(
                      "Invalid Datis configuration: datis.exit-code-on-pipeline-failure is"
                          + " invalid: an exit status is 0 to 255 (1 is the default; 0 lets the"
                          + " process end by itself, with status 0), but was 256");
            });
  }

  @Test
  void aValueThatDoesNotConvertNamesTheProperty() {
    runner
        .withUserConfiguration(Beans.class)
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.sink=ordersSink",
            "datis.pipelines.orders.snapshot=sometimes")
        .run(
            context -> {
              assertThat(context).hasFailed();
              BindException failure = findCause(context.getStartupFailure(), BindException.class);
              assertThat(failure.getProperty().getName().toString())
                  .isEqualTo("datis.pipelines.orders.snapshot");
              assertThat(failure.getProperty().getValue()).isEqualTo("sometimes");
            });
  }

  @Test
  void anIncompleteSourceNamesTheMissingProperties() {
    runner
        .withPropertyValues("datis.source.host=db.internal")
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .hasMessage(
                      "Invalid Datis configuration (2 problems):\n"
                          + "  - datis.source.database is not set: set it to the database to"
                          + " capture from, or set datis.source.jdbc-url\n"
                          + "  - datis.source.user is not set: set it to the user to log in as,"
                          + " which needs the REPLICATION attribute (or to be a superuser)");
            });
  }

  @Test
  void pipelinesWithoutAnySourceSayWhereToConfigureOne() {
    runner
        .withUserConfiguration(Beans.class)
        .withPropertyValues(
            "datis.pipelines.orders.tables=public.orders", "datis.pipelines.orders.sink=ordersSink")
        .run(
            context ->
                assertThat(context.getStartupFailure())
                    .rootCause()
                    .hasMessage(
                        "Invalid Datis configuration: datis.pipelines.orders needs a PostgreSQL"
                            + " database to capture from, but there is none: set"
                            + " datis.source.jdbc-url (jdbc:postgresql://host:5432/database), .user"
                            + " and .password; or spring.datasource.url, .username and .password;"
                            + " or declare a PostgresSource bean"));
  }

  @Test
  void aPubSubBlockBuildsThePubSubSink() {
    runner
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.pubsub.project=my-project",
            "datis.pipelines.orders.pubsub.topic=orders-cdc",
            "datis.pipelines.orders.pubsub.emulator-host=127.0.0.1:8085",
            "datis.pipelines.orders.pubsub.ordering-buckets=64",
            "datis.pipelines.orders.pubsub.format=cloud-events",
            "datis.pipelines.orders.pubsub.batching.max-messages=100",
            "datis.pipelines.orders.pubsub.close-timeout=5s",
            "datis.pipelines.orders.pubsub.attributes.env=test")
        .run(context -> assertThat(context).hasNotFailed());
  }

  @Test
  void aPubSubBlockNamesItsInvalidProperties() {
    runner
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.pubsub.topic=orders-cdc",
            "datis.pipelines.orders.pubsub.ordering-keys=table-and-key-bucket")
        .run(
            context ->
                assertThat(
                        ((ConfigurationException) rootCause(context.getStartupFailure()))
                            .problems())
                    .containsExactly(
                        "datis.pipelines.orders.pubsub.project is not set: set it to the Google"
                            + " Cloud project id"));
  }

  @Test
  void aPubSubBlockWithoutDatisPubSubNamesTheMissingDependency() {
    runner
        .withClassLoader(new FilteredClassLoader(PubSubSink.class))
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.pubsub.project=my-project",
            "datis.pipelines.orders.pubsub.topic=orders-cdc")
        .run(
            context ->
                assertThat(context.getStartupFailure())
                    .rootCause()
                    .hasMessage(
                        "Invalid Datis configuration: datis.pipelines.orders.pubsub is set, but"
                            + " io.datis:datis-pubsub is not on the class path: add that"
                            + " dependency, or set datis.pipelines.orders.sink to the name of a"
                            + " Sink bean instead"));
  }

  @Test
  void worksWithoutDatisPubSubForPipelinesWithSinkBeans() {
    runner
        .withClassLoader(new FilteredClassLoader(PubSubSink.class))
        .withUserConfiguration(Beans.class)
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.sink=ordersSink")
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(DatisPipelines.class));
  }

  @Test
  void worksWithoutSpringBootsHealthSupport() {
    runner
        .withConfiguration(AutoConfigurations.of(DatisHealthAutoConfiguration.class))
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.health"))
        .withUserConfiguration(Beans.class)
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.sink=ordersSink")
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .hasSingleBean(DatisPipelines.class)
                    .doesNotHaveBean("datisHealthContributor"));
  }

  @Test
  void offsetsAndErrorPolicyContradictionsNameBothProperties() {
    runner
        .withUserConfiguration(Beans.class)
        .withPropertyValues(
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.source.user=datis",
            "datis.pipelines.orders.tables=public.orders",
            "datis.pipelines.orders.sink=ordersSink",
            "datis.pipelines.orders.offsets.file=/tmp/orders.offsets",
            "datis.pipelines.orders.offsets.table=public.offsets",
            "datis.pipelines.orders.error-policy=dead-letter")
        .run(
            context ->
                assertThat(
                        ((ConfigurationException) rootCause(context.getStartupFailure()))
                            .problems())
                    .containsExactly(
                        "datis.pipelines.orders.offsets.file and"
                            + " datis.pipelines.orders.offsets.table are both set: keep"
                            + " offsets.file for a local file, or offsets.table for a table in the"
                            + " captured database",
                        "datis.pipelines.orders.error-policy is dead-letter, but"
                            + " datis.pipelines.orders.dead-letter-sink is not set: set it to the"
                            + " name of a DeadLetterSink bean (a second PubSubSink, for"
                            + " example)"));
  }

  @Test
  void theFailureAnalysisRepeatsTheProblemsAndSaysWhatToDo() {
    runner
        .withPropertyValues("datis.source.user=datis", "datis.source.database=shop")
        .run(
            context -> {
              FailureAnalysis analysis =
                  new DatisFailureAnalyzer().analyze(context.getStartupFailure());
              assertThat(analysis).isNotNull();
              assertThat(analysis.getDescription())
                  .isEqualTo(
                      "Invalid Datis configuration: datis.source.host is not set: set"
                          + " datis.source.jdbc-url (jdbc:postgresql://host:5432/database), or"
                          + " datis.source.host and .database");
              assertThat(analysis.getAction()).startsWith("Correct the settings named above.");
            });
  }

  @Test
  void turnsOffWithDatisEnabledFalse() {
    runner
        .withPropertyValues(
            "datis.enabled=false",
            "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
            "datis.pipelines.orders.tables=public.orders")
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .doesNotHaveBean(PostgresSource.class)
                    .doesNotHaveBean(DatisPipelines.class));
  }

  @Test
  void closeTimeoutsDefaultToAThirdOfTheShutdownPhase() {
    MockEnvironment environment = new MockEnvironment();
    assertThat(PipelineFactory.shutdownPhaseTimeout(environment)).isEqualTo(Duration.ofSeconds(30));
    environment.setProperty("spring.lifecycle.timeout-per-shutdown-phase", "45s");
    Duration phase = PipelineFactory.shutdownPhaseTimeout(environment);
    assertThat(phase).isEqualTo(Duration.ofSeconds(45));
    assertThat(PipelineFactory.defaultCloseTimeout(phase)).isEqualTo(Duration.ofSeconds(15));
  }

  private static Throwable rootCause(Throwable failure) {
    Throwable cause = failure;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return type.cast(cause);
      }
    }
    throw new AssertionError("No " + type.getName() + " in " + failure, failure);
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnSource {
    @Bean
    PostgresSource ownSource() {
      return PostgresSource.builder().host("own-db").database("shop").user("me").build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class Beans {
    @Bean
    Sink ordersSink() {
      return new InMemorySink();
    }

    @Bean
    Sink auditSink() {
      return new InMemorySink();
    }

    @Bean
    Transform keepAll() {
      return event -> TransformResult.keep();
    }
  }
}
