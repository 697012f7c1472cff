package io.datis.spring.boot.internal;

import io.datis.api.sink.Sink;
import io.datis.spring.boot.DatisProperties;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Builds the Pub/Sub sink of a pipeline's {@code pubsub} block. Present as a bean only when {@code
 * io.datis:datis-pubsub} is on the class path; this interface names none of its types.
 */
public interface PubSubSinks {

  /**
   * The sink for {@code datis.pipelines.<pipeline>.pubsub}, or {@code null} after adding to {@code
   * problems} why it cannot be built, naming the properties.
   *
   * @param defaultCloseTimeout the close timeout when the block sets none
   */
  @Nullable Sink create(
      String pipeline,
      DatisProperties.PubSub properties,
      Duration defaultCloseTimeout,
      List<String> problems);
}
