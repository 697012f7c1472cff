package io.datis.spring.boot.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Contributes defaults for Actuator's health endpoint, which the application's own settings
 * override, one by one:
 *
 * <ul>
 *   <li>{@code management.endpoint.health.status.order}: {@value #ORDER}, so that Datis's own
 *       statuses count when statuses are aggregated (Spring Boot ignores a status missing from the
 *       order);
 *   <li>{@code management.endpoint.health.status.http-mapping.*}: 503 for {@code DOWN}, {@code
 *       OUT_OF_SERVICE} and {@code STARTING}, 200 for {@code DEGRADED} and {@code STANDBY};
 *   <li>{@code management.endpoint.health.group.readiness.include}: {@code readinessState,datis},
 *       so that an application is ready once its pipelines capture (or stand by), when the
 *       availability probes and the {@code datis} health contributor are on.
 * </ul>
 *
 * <p>Nothing is contributed with {@code datis.enabled=false} or without Spring Boot's health
 * support on the class path.
 */
public final class DatisHealthDefaults implements EnvironmentPostProcessor, Ordered {

  /** The name of the property source holding the defaults, the last of the environment's. */
  public static final String PROPERTY_SOURCE = "datisHealthDefaults";

  /** The default status order, most severe first. */
  public static final String ORDER = "DOWN,OUT_OF_SERVICE,STARTING,DEGRADED,UP,STANDBY,UNKNOWN";

  private static final String HEALTH_CLASS =
      "org.springframework.boot.health.contributor.HealthContributor";

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    apply(environment);
  }

  /** Adds the defaults to {@code environment}, after every other property source. */
  public static void apply(ConfigurableEnvironment environment) {
    if (!enabled(environment, "datis.enabled")
        || !ClassUtils.isPresent(HEALTH_CLASS, DatisHealthDefaults.class.getClassLoader())
        || environment.getPropertySources().contains(PROPERTY_SOURCE)) {
      return;
    }
    Map<String, Object> defaults = new LinkedHashMap<>();
    defaults.put("management.endpoint.health.status.order", ORDER);
    String mapping = "management.endpoint.health.status.http-mapping.";
    defaults.put(mapping + "down", 503);
    defaults.put(mapping + "out-of-service", 503);
    defaults.put(mapping + "starting", 503);
    defaults.put(mapping + "degraded", 200);
    defaults.put(mapping + "standby", 200);
    boolean datisHealth =
        enabled(
            environment,
            "management.health.datis.enabled",
            enabled(environment, "management.health.defaults.enabled"));
    if (datisHealth && enabled(environment, "management.endpoint.health.probes.enabled")) {
      defaults.put("management.endpoint.health.group.readiness.include", "readinessState,datis");
    }
    environment.getPropertySources().addLast(new MapPropertySource(PROPERTY_SOURCE, defaults));
  }

  private static boolean enabled(Environment environment, String property) {
    return enabled(environment, property, true);
  }

  private static boolean enabled(Environment environment, String property, boolean otherwise) {
    Boolean value = environment.getProperty(property, Boolean.class);
    return value != null ? value : otherwise;
  }

  /** After the application's configuration is loaded, to read its settings. */
  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }
}
