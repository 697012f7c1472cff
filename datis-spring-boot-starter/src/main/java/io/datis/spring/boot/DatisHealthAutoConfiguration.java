package io.datis.spring.boot;

import io.datis.spring.boot.internal.PipelineHealthIndicator;
import io.datis.spring.boot.internal.PipelineRunner;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code datis} health contributor, with Spring Boot's health support on the class path (as
 * with {@code spring-boot-starter-actuator}), unless {@code management.health.datis.enabled=false}:
 * one entry per pipeline, named after it.
 *
 * <table>
 *   <caption>Datis's statuses in Spring Boot</caption>
 *   <tr><th>Datis</th><th>Spring Boot</th><th>HTTP</th></tr>
 *   <tr><td>{@code UP}</td><td>{@code UP}</td><td>200</td></tr>
 *   <tr><td>{@code DEGRADED}</td><td>{@code DEGRADED}</td><td>200</td></tr>
 *   <tr><td>{@code STANDBY}</td><td>{@code STANDBY}</td><td>200</td></tr>
 *   <tr><td>{@code STARTING} (or not started yet)</td><td>{@code STARTING}</td><td>503</td></tr>
 *   <tr><td>{@code DOWN} (closed, failed, or could not start)</td><td>{@code DOWN}</td>
 *       <td>503</td></tr>
 * </table>
 *
 * <p>The HTTP codes and the order of the statuses are defaults that the starter contributes to
 * {@code management.endpoint.health.status.*}, as is the {@code datis} contributor's membership of
 * the readiness group ({@code management.endpoint.health.group.readiness.include}); your own
 * settings of those properties take precedence.
 */
@AutoConfiguration(after = DatisAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthContributor")
public final class DatisHealthAutoConfiguration {

  /** Created by Spring Boot. */
  public DatisHealthAutoConfiguration() {}

  // Nested, so that its conditions (of classes in spring-boot-health) are read only when that
  // module is on the class path.
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBean(DatisPipelines.class)
  @ConditionalOnEnabledHealthIndicator("datis")
  static final class DatisHealthContributorConfiguration {

    /** The {@code datis} contributor: one health indicator per pipeline. */
    @Bean
    @ConditionalOnMissingBean(name = "datisHealthContributor")
    HealthContributor datisHealthContributor(DatisPipelines pipelines) {
      Map<String, HealthIndicator> indicators = new LinkedHashMap<>();
      for (PipelineRunner runner : pipelines.runners()) {
        indicators.put(runner.name(), new PipelineHealthIndicator(runner));
      }
      return CompositeHealthContributor.fromMap(indicators);
    }
  }
}
