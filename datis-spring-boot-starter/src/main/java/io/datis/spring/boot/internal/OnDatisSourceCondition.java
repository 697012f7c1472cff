package io.datis.spring.boot.internal;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when a {@code datis.source.*} property is set. */
public final class OnDatisSourceCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    return Sources.datisSourceConfigured(context.getEnvironment())
        ? ConditionOutcome.match("datis.source is configured")
        : ConditionOutcome.noMatch("no datis.source.* property is set");
  }
}
