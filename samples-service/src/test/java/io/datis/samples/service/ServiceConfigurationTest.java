package io.datis.samples.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.spring.boot.DatisProperties;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ClassPathResource;

/**
 * What the service's {@code application.yml} makes of the environment variables, and its defaults
 * without any: read as Spring Boot reads them, without starting the service.
 */
class ServiceConfigurationTest {

  @Test
  void listensOnPort3000AndCapturesPublicOrdersOnLocalhostByDefault() throws IOException {
    StandardEnvironment environment = environment(Map.of());

    assertThat(environment.getProperty("server.port", Integer.class)).isEqualTo(3000);
    assertThat(environment.getProperty("logging.structured.format.console")).isEqualTo("ecs");
    assertThat(environment.getProperty("management.endpoint.health.probes.enabled"))
        .isEqualTo("true");
    assertThat(environment.getProperty("management.endpoints.web.exposure.include"))
        .isEqualTo("health, prometheus");
    DatisProperties datis = datis(environment);
    assertThat(datis.source().jdbcUrl())
        .isEqualTo("jdbc:postgresql://localhost:5432/postgres?sslmode=prefer");
    assertThat(datis.source().user()).isEqualTo("postgres");
    assertThat(datis.source().password()).isEmpty();
    assertThat(datis.pipelines()).containsOnlyKeys("changes");
    DatisProperties.Pipeline changes = datis.pipelines().get("changes");
    assertThat(changes.tables()).containsExactly("public.orders");
    assertThat(changes.snapshot()).isEqualTo(io.datis.SnapshotMode.INITIAL);
    assertThat(changes.offsets().store()).isEqualTo(DatisProperties.Store.POSTGRES);
    assertThat(changes.pubsub()).isNotNull();
    assertThat(changes.pubsub().project()).isEqualTo("local-project");
    assertThat(changes.pubsub().topic()).isEqualTo("datis-changes");
    assertThat(changes.pubsub().emulatorHost()).isNull();
  }

  @Test
  void takesEverySettingFromTheEnvironmentVariables() throws IOException {
    StandardEnvironment environment =
        environment(
            Map.ofEntries(
                Map.entry("PGHOST", "db.internal"),
                Map.entry("PGPORT", "6432"),
                Map.entry("PGDATABASE", "shop"),
                Map.entry("PGSSLMODE", "require"),
                Map.entry("PGUSER", "datis"),
                Map.entry("PGPASSWORD", "secret"),
                Map.entry("DATIS_TABLES", "public.orders, public.order_lines"),
                Map.entry("DATIS_SNAPSHOT", "changes-only"),
                Map.entry("PUBSUB_PROJECT", "my-project"),
                Map.entry("PUBSUB_TOPIC", "orders-cdc"),
                Map.entry("PORT", "8080"),
                Map.entry("LOG_FORMAT", "gelf")));

    assertThat(environment.getProperty("server.port", Integer.class)).isEqualTo(8080);
    assertThat(environment.getProperty("logging.structured.format.console")).isEqualTo("gelf");
    DatisProperties datis = datis(environment);
    assertThat(datis.source().jdbcUrl())
        .isEqualTo("jdbc:postgresql://db.internal:6432/shop?sslmode=require");
    assertThat(datis.source().user()).isEqualTo("datis");
    assertThat(datis.source().password()).isEqualTo("secret");
    DatisProperties.Pipeline changes = datis.pipelines().get("changes");
    assertThat(changes.tables()).containsExactly("public.orders", "public.order_lines");
    assertThat(changes.snapshot()).isEqualTo(io.datis.SnapshotMode.CHANGES_ONLY);
    assertThat(changes.pubsub().project()).isEqualTo("my-project");
    assertThat(changes.pubsub().topic()).isEqualTo("orders-cdc");
  }

  @Test
  void anyStarterPropertyCanBeSetByItsEnvironmentVariable() throws IOException {
    StandardEnvironment environment =
        environment(
            Map.of(
                "DATIS_PIPELINES_CHANGES_PUBSUB_ORDERINGBUCKETS", "64",
                "DATIS_PIPELINES_CHANGES_MAXINFLIGHTBYTES", "64MB"));

    DatisProperties.Pipeline changes = datis(environment).pipelines().get("changes");
    assertThat(changes.pubsub().orderingBuckets()).isEqualTo(64);
    assertThat(changes.maxInFlightBytes()).hasToString("67108864B");
    assertThat(changes.pubsub().topic()).isEqualTo("datis-changes");
  }

  @Test
  void aJdbcUrlVariableReplacesTheLibpqVariables() throws IOException {
    StandardEnvironment environment =
        environment(
            Map.of(
                "DATIS_JDBC_URL", "jdbc:postgresql://10.0.0.5/shop?sslmode=verify-full",
                "PGHOST", "ignored.internal"));

    assertThat(datis(environment).source().jdbcUrl())
        .isEqualTo("jdbc:postgresql://10.0.0.5/shop?sslmode=verify-full");
  }

  /** The service's configuration over the given environment variables, as in Spring Boot. */
  private static StandardEnvironment environment(Map<String, String> variables) throws IOException {
    StandardEnvironment environment = new StandardEnvironment();
    MutablePropertySources sources = environment.getPropertySources();
    sources.remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    sources.replace(
        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
        variables(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables));
    List<PropertySource<?>> yaml =
        new YamlPropertySourceLoader()
            .load("application.yml", new ClassPathResource("application.yml"));
    yaml.forEach(sources::addLast);
    return environment;
  }

  private static PropertySource<?> variables(String name, Map<String, String> variables) {
    return new SystemEnvironmentPropertySource(name, Map.copyOf(variables));
  }

  private static DatisProperties datis(StandardEnvironment environment) {
    return Binder.get(environment).bind("datis", DatisProperties.class).get();
  }
}
