package io.datis.spring.boot.internal;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when Datis has no source of its own ({@code datis.source.*}) and {@code
 * spring.datasource.url} is a PostgreSQL JDBC URL.
 */
public final class OnPostgresDataSourceCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    if (Sources.datisSourceConfigured(context.getEnvironment())) {
      return ConditionOutcome.noMatch("datis.source is configured");
    }
    return Sources.postgresDataSourceUrl(context.getEnvironment()) != null
        ? ConditionOutcome.match(Sources.DATASOURCE_URL + " is a PostgreSQL JDBC URL")
        : ConditionOutcome.noMatch(
            Sources.DATASOURCE_URL + " is not set or not a PostgreSQL JDBC URL");
  }
}
