package io.datis.spring.boot;

import io.datis.pubsub.PubSubSink;

/**
 * Sets what {@code datis.pipelines.<name>.pubsub.*} cannot, such as a topic per table ({@link
 * PubSubSink.Builder#route}) or explicit credentials: declare beans of this type and each is
 * called, in {@link org.springframework.core.annotation.Order order}, with the builder of every
 * pipeline's Pub/Sub sink after the properties were applied. Needs {@code io.datis:datis-pubsub}.
 *
 * <pre>{@code
 * @Bean
 * DatisPubSubSinkCustomizer topicPerTable() {
 *   return (pipeline, builder) -> builder.route(event -> event.table().table() + "-cdc");
 * }
 * }</pre>
 */
@FunctionalInterface
public interface DatisPubSubSinkCustomizer {

  /**
   * Customizes the Pub/Sub sink of one pipeline.
   *
   * @param pipelineName the pipeline's name, its key under {@code datis.pipelines}
   * @param builder the sink's builder, with the properties applied
   */
  void customize(String pipelineName, PubSubSink.Builder builder);
}
