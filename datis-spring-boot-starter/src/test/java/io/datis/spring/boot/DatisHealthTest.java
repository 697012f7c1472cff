package io.datis.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.spring.boot.internal.DatisHealthDefaults;
import io.datis.spring.boot.internal.PipelineHealthIndicator;
import io.datis.testkit.InMemorySink;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** Datis's health in Spring Boot's terms: statuses, details, HTTP codes, aggregation, readiness. */
class DatisHealthTest {

  private static final Status STARTING = new Status("STARTING");
  private static final Status DEGRADED = new Status("DEGRADED");
  private static final Status STANDBY = new Status("STANDBY");

  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withInitializer(context -> DatisHealthDefaults.apply(context.getEnvironment()))
          .withConfiguration(
              AutoConfigurations.of(
                  DatisAutoConfiguration.class,
                  DatisHealthAutoConfiguration.class,
                  ApplicationAvailabilityAutoConfiguration.class,
                  EndpointAutoConfiguration.class,
                  HealthContributorAutoConfiguration.class,
                  HealthContributorRegistryAutoConfiguration.class,
                  HealthEndpointAutoConfiguration.class,
                  AvailabilityProbesAutoConfiguration.class))
          .withBean("ordersSink", InMemorySink.class)
          .withPropertyValues(
              "datis.auto-startup=false",
              "datis.source.jdbc-url=jdbc:postgresql://db:5432/shop",
              "datis.source.user=datis",
              "datis.pipelines.orders.tables=public.orders",
              "datis.pipelines.orders.sink=ordersSink");

  @Test
  void mapsEveryDatisStatusWithItsDetails() {
    Instant since = Instant.parse("2026-11-26T16:00:00Z");
    Health degraded =
        PipelineHealthIndicator.of(
            new FixedHealth(
                io.datis.Health.Status.DEGRADED,
                io.datis.Health.Role.ACTIVE,
                since,
                null,
                List.of("sink retrying for 12 s: UNAVAILABLE"),
                "0/16B3748",
                4096L));
    assertThat(degraded.getStatus()).isEqualTo(DEGRADED);
    assertThat(degraded.getDetails())
        .containsExactly(
            Map.entry("role", "ACTIVE"),
            Map.entry("roleSince", "2026-11-26T16:00:00Z"),
            Map.entry("reasons", List.of("sink retrying for 12 s: UNAVAILABLE")),
            Map.entry("lastEventTime", "2026-11-26T17:00:00Z"),
            Map.entry("lastCommittedLsn", "0/16B3748"),
            Map.entry("slotLagBytes", 4096L));

    Health standby =
        PipelineHealthIndicator.of(
            new FixedHealth(
                io.datis.Health.Status.STANDBY,
                io.datis.Health.Role.STANDBY,
                since,
                "datis-orders lock pod-7f9c:1",
                List.of(),
                null,
                null));
    assertThat(standby.getStatus()).isEqualTo(STANDBY);
    assertThat(standby.getDetails())
        .containsEntry("role", "STANDBY")
        .containsEntry("activeInstance", "datis-orders lock pod-7f9c:1")
        .doesNotContainKeys("lastCommittedLsn", "slotLagBytes");

    assertThat(PipelineHealthIndicator.status(io.datis.Health.Status.UP)).isEqualTo(Status.UP);
    assertThat(PipelineHealthIndicator.status(io.datis.Health.Status.DOWN)).isEqualTo(Status.DOWN);
    assertThat(PipelineHealthIndicator.status(io.datis.Health.Status.STARTING)).isEqualTo(STARTING);
  }

  @Test
  void contributesOneIndicatorPerPipelineUnderDatis() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed().hasBean("datisHealthContributor");
          CompositeHealthContributor datis =
              (CompositeHealthContributor)
                  context.getBean("datisHealthContributor", HealthContributor.class);
          HealthIndicator orders = (HealthIndicator) datis.getContributor("orders");
          assertThat(orders).isNotNull();
          Health notStarted = orders.health();
          assertThat(notStarted).isNotNull();
          assertThat(notStarted.getStatus()).isEqualTo(STARTING);
          assertThat(notStarted.getDetails())
              .containsEntry(
                  "reasons", List.of("not started: it starts with the application context"));
        });
  }

  @Test
  void answers200ForDegradedAndStandbyAnd503ForStartingAndDown() {
    runner.run(
        context -> {
          HealthEndpointGroup primary = context.getBean(HealthEndpointGroups.class).getPrimary();
          assertThat(primary.getHttpCodeStatusMapper().getStatusCode(DEGRADED)).isEqualTo(200);
          assertThat(primary.getHttpCodeStatusMapper().getStatusCode(STANDBY)).isEqualTo(200);
          assertThat(primary.getHttpCodeStatusMapper().getStatusCode(Status.UP)).isEqualTo(200);
          assertThat(primary.getHttpCodeStatusMapper().getStatusCode(STARTING)).isEqualTo(503);
          assertThat(primary.getHttpCodeStatusMapper().getStatusCode(Status.DOWN)).isEqualTo(503);
        });
  }

  @Test
  void aggregatesDatisStatusesWorstFirst() {
    runner.run(
        context -> {
          HealthEndpointGroup primary = context.getBean(HealthEndpointGroups.class).getPrimary();
          assertThat(primary.getStatusAggregator().getAggregateStatus(Set.of(Status.UP, DEGRADED)))
              .isEqualTo(DEGRADED);
          assertThat(primary.getStatusAggregator().getAggregateStatus(Set.of(DEGRADED, STARTING)))
              .isEqualTo(STARTING);
          assertThat(primary.getStatusAggregator().getAggregateStatus(Set.of(Status.UP, STANDBY)))
              .isEqualTo(Status.UP);
          assertThat(primary.getStatusAggregator().getAggregateStatus(Set.of(STANDBY)))
              .isEqualTo(STANDBY);
          assertThat(primary.getStatusAggregator().getAggregateStatus(Set.of(Status.DOWN, STANDBY)))
              .isEqualTo(Status.DOWN);
        });
  }

  @Test
  void putsDatisInTheReadinessGroup() {
    runner.run(
        context -> {
          HealthEndpointGroup readiness =
              context.getBean(HealthEndpointGroups.class).get("readiness");
          assertThat(readiness).isNotNull();
          assertThat(readiness.isMember("readinessState")).isTrue();
          assertThat(readiness.isMember("datis")).isTrue();
          assertThat(readiness.isMember("datis/orders")).isTrue();
          assertThat(
                  readiness.getStatusAggregator().getAggregateStatus(Set.of(Status.UP, STARTING)))
              .isEqualTo(STARTING);
          HealthEndpointGroup liveness =
              context.getBean(HealthEndpointGroups.class).get("liveness");
          assertThat(liveness).isNotNull();
          assertThat(liveness.isMember("datis")).isFalse();
        });
  }

  @Test
  void theApplicationsOwnSettingsWinOneByOne() {
    runner
        .withPropertyValues(
            "management.endpoint.health.status.http-mapping.degraded=503",
            "management.endpoint.health.group.readiness.include=readinessState")
        .run(
            context -> {
              HealthEndpointGroups groups = context.getBean(HealthEndpointGroups.class);
              HealthEndpointGroup primary = groups.getPrimary();
              assertThat(primary.getHttpCodeStatusMapper().getStatusCode(DEGRADED)).isEqualTo(503);
              assertThat(primary.getHttpCodeStatusMapper().getStatusCode(STANDBY)).isEqualTo(200);
              assertThat(primary.getHttpCodeStatusMapper().getStatusCode(STARTING)).isEqualTo(503);
              HealthEndpointGroup readiness = groups.get("readiness");
              assertThat(readiness).isNotNull();
              assertThat(readiness.isMember("datis")).isFalse();
            });
  }

  @Test
  void leavesReadinessAloneWhenTheDatisIndicatorIsOff() {
    runner
        .withPropertyValues("management.health.datis.enabled=false")
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean("datisHealthContributor");
              HealthEndpointGroup readiness =
                  context.getBean(HealthEndpointGroups.class).get("readiness");
              assertThat(readiness).isNotNull();
              assertThat(readiness.isMember("datis")).isFalse();
            });
  }

  @Test
  void backsOffForTheApplicationsOwnDatisContributor() {
    runner
        .withBean(
            "datisHealthContributor",
            HealthIndicator.class,
            () -> () -> Health.up().withDetail("own", true).build())
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              HealthIndicator own =
                  context.getBean("datisHealthContributor", HealthIndicator.class);
              assertThat(own.health()).isEqualTo(Health.up().withDetail("own", true).build());
            });
  }

  private record FixedHealth(
      io.datis.Health.Status status,
      io.datis.Health.Role role,
      Instant roleSince,
      String active,
      List<String> reasons,
      String lsn,
      Long lag)
      implements io.datis.Health {

    @Override
    public Optional<String> activeInstance() {
      return Optional.ofNullable(active);
    }

    @Override
    public Optional<Instant> lastEventTime() {
      return lsn == null ? Optional.empty() : Optional.of(Instant.parse("2026-11-26T17:00:00Z"));
    }

    @Override
    public Optional<String> lastCommittedLsn() {
      return Optional.ofNullable(lsn);
    }

    @Override
    public OptionalLong slotLagBytes() {
      return lag == null ? OptionalLong.empty() : OptionalLong.of(lag);
    }

    @Override
    public Optional<String> snapshot() {
      return Optional.empty();
    }
  }
}
