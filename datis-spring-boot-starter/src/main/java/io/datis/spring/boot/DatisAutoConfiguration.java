package io.datis.spring.boot;

import io.datis.postgres.PostgresSource;
import io.datis.spring.boot.internal.OnDatisSourceCondition;
import io.datis.spring.boot.internal.OnPostgresDataSourceCondition;
import io.datis.spring.boot.internal.PipelineFactory;
import io.datis.spring.boot.internal.PipelineFailureExit;
import io.datis.spring.boot.internal.PubSubSinkFactory;
import io.datis.spring.boot.internal.PubSubSinks;
import io.datis.spring.boot.internal.Sources;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;

/**
 * Datis's auto-configuration, on unless {@code datis.enabled=false}:
 *
 * <ul>
 *   <li>a {@link PostgresSource} bean, {@code datisPostgresSource}, from {@code datis.source.*},
 *       or, when none of those is set, from {@code spring.datasource.url}, {@code .username} and
 *       {@code .password} if the URL is a PostgreSQL one; none when the application declares a
 *       {@code PostgresSource} bean of its own;
 *   <li>the {@link DatisPipelines} bean, {@code datisPipelines}, running the pipelines of {@code
 *       datis.pipelines.*}, with their sinks and transforms taken from the beans the properties
 *       name, Datis's meters in the application's {@link MeterRegistry} (when it has one), and the
 *       {@link DatisPipelineCustomizer} beans applied;
 *   <li>with {@code io.datis:datis-pubsub} on the class path, what builds the Pub/Sub sinks of
 *       {@code pubsub} blocks, applying the {@link DatisPubSubSinkCustomizer} beans.
 * </ul>
 *
 * <p>Every setting is checked when the beans are created, and all problems are reported together,
 * each naming its property and the fix.
 */
@AutoConfiguration(
    afterName =
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBooleanProperty(name = "datis.enabled", matchIfMissing = true)
@EnableConfigurationProperties(DatisProperties.class)
public final class DatisAutoConfiguration {

  /** Created by Spring Boot. */
  public DatisAutoConfiguration() {}

  /**
   * The source described by {@code datis.source.*}.
   *
   * @throws io.datis.api.ConfigurationException naming each invalid or missing property
   */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(OnDatisSourceCondition.class)
  PostgresSource datisPostgresSource(DatisProperties properties) {
    return Sources.fromDatisSource(properties.source());
  }

  /**
   * The source described by {@code spring.datasource.url}, {@code .username} and {@code .password},
   * when Datis has no source of its own and that URL is a PostgreSQL one.
   *
   * @throws io.datis.api.ConfigurationException naming each invalid or missing property
   */
  @Bean("datisPostgresSource")
  @ConditionalOnMissingBean
  @Conditional(OnPostgresDataSourceCondition.class)
  PostgresSource datisPostgresSourceFromDataSource(Environment environment) {
    return Sources.fromSpringDataSource(environment);
  }

  /**
   * The configured pipelines, checked now, started with the application context.
   *
   * @throws io.datis.api.ConfigurationException listing every problem of every pipeline
   */
  @Bean
  @ConditionalOnMissingBean
  DatisPipelines datisPipelines(
      DatisProperties properties,
      ObjectProvider<PostgresSource> source,
      ListableBeanFactory beans,
      ObjectProvider<PubSubSinks> pubSubSinks,
      ObjectProvider<MeterRegistry> meterRegistry,
      ObjectProvider<DatisPipelineCustomizer> customizers,
      PipelineFailureExit exit,
      Environment environment) {
    PipelineFactory factory =
        new PipelineFactory(
            source.getIfAvailable(),
            beans,
            pubSubSinks.getIfAvailable(),
            meterRegistry.getIfUnique(),
            customizers.orderedStream().toList(),
            environment);
    return new DatisPipelines(
        factory.create(properties),
        properties.autoStartup(),
        properties.stopApplicationOnPipelineFailure(),
        exit);
  }

  /**
   * Reports {@code datis.exit-code-on-pipeline-failure} to {@code SpringApplication.exit} once a
   * pipeline has failed, and stops the application after a failure (see {@link DatisPipelines}).
   */
  @Bean
  @ConditionalOnMissingBean
  PipelineFailureExit datisPipelineFailureExit(
      DatisProperties properties, ConfigurableApplicationContext context) {
    return new PipelineFailureExit(properties.exitCodeOnPipelineFailure(), context);
  }

  /**
   * Traces every pipeline's deliveries with the application's {@code OpenTelemetry} bean, when it
   * has one and {@code datis.tracing.enabled} is not {@code false}: applied before your own {@link
   * DatisPipelineCustomizer} beans, which may trace otherwise.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.opentelemetry.api.OpenTelemetry")
  @ConditionalOnBooleanProperty(name = "datis.tracing.enabled", matchIfMissing = true)
  static final class TracingConfiguration {

    @Bean
    @Order(Ordered.HIGHEST_PRECEDENCE)
    DatisPipelineCustomizer datisTracing(
        ObjectProvider<io.opentelemetry.api.OpenTelemetry> openTelemetry) {
      return (name, builder) -> {
        io.opentelemetry.api.OpenTelemetry traced = openTelemetry.getIfUnique();
        if (traced != null) {
          builder.tracing(traced);
        }
      };
    }
  }

  /** Pub/Sub sinks for {@code pubsub} blocks, when {@code io.datis:datis-pubsub} is present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.datis.pubsub.PubSubSink")
  static final class PubSubConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PubSubSinks datisPubSubSinks(ObjectProvider<DatisPubSubSinkCustomizer> customizers) {
      return new PubSubSinkFactory(customizers.orderedStream().toList());
    }
  }
}
