package io.datis.spring.boot;

import io.datis.PipelineBuilder;

/**
 * Sets what {@code datis.pipelines.<name>.*} cannot, in code: declare beans of this type and each
 * is called, in {@link org.springframework.core.annotation.Order order}, with every configured
 * pipeline's builder after the properties were applied, before the pipeline starts.
 *
 * <pre>{@code
 * @Bean
 * DatisPipelineCustomizer roleLogging() {
 *   return (name, builder) -> builder.onRoleChange(role -> log.info("{} is now {}", name, role));
 * }
 * }</pre>
 *
 * <p>A customizer that throws stops the application's start, with its message.
 */
@FunctionalInterface
public interface DatisPipelineCustomizer {

  /**
   * Customizes one pipeline.
   *
   * @param pipelineName the pipeline's name, its key under {@code datis.pipelines}
   * @param builder the pipeline's builder, with the properties applied
   */
  void customize(String pipelineName, PipelineBuilder builder);
}
