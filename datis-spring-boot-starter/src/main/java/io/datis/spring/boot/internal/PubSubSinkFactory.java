package io.datis.spring.boot.internal;

import io.datis.api.ConfigurationException;
import io.datis.api.sink.Sink;
import io.datis.pubsub.MessageFormat;
import io.datis.pubsub.OrderingKeys;
import io.datis.pubsub.PubSubSink;
import io.datis.spring.boot.DatisProperties;
import io.datis.spring.boot.DatisPubSubSinkCustomizer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.util.unit.DataSize;

/** Builds {@link PubSubSink}s from {@code datis.pipelines.<name>.pubsub.*}. */
public final class PubSubSinkFactory implements PubSubSinks {

  private final List<DatisPubSubSinkCustomizer> customizers;

  /** A factory that applies the customizers, in order, to every sink's builder. */
  public PubSubSinkFactory(List<DatisPubSubSinkCustomizer> customizers) {
    this.customizers = List.copyOf(customizers);
  }

  @Override
  public @Nullable Sink create(
      String pipeline,
      DatisProperties.PubSub properties,
      Duration defaultCloseTimeout,
      List<String> problems) {
    String prefix = "datis.pipelines." + pipeline + ".pubsub.";
    int before = problems.size();
    String project = properties.project();
    String topic = properties.topic();
    if (project == null) {
      problems.add(prefix + "project is not set: set it to the Google Cloud project id");
    }
    if (topic == null) {
      problems.add(prefix + "topic is not set: set it to the topic id, e.g. orders-cdc");
    }
    if (project == null || topic == null) {
      return null;
    }
    PubSubSink.Builder builder;
    try {
      builder = PubSubSink.builder(project, topic);
    } catch (IllegalArgumentException e) {
      problems.add(prefix + "project or " + prefix + "topic is invalid: " + e.getMessage());
      return null;
    }
    DatisProperties.Format format = properties.format();
    if (format != null) {
      builder.format(format(format));
    }
    orderingKeys(prefix, properties, builder, problems);
    List<String> targets = new java.util.ArrayList<>();
    if (properties.emulatorHost() != null) {
      targets.add(prefix + "emulator-host");
    }
    if (properties.endpoint() != null) {
      targets.add(prefix + "endpoint");
    }
    if (properties.region() != null) {
      targets.add(prefix + "region");
    }
    if (targets.size() > 1) {
      problems.add(
          String.join(" and ", targets) + " each choose where the sink connects: set only one");
    } else {
      set(problems, prefix + "emulator-host", builder::emulator, properties.emulatorHost());
      set(problems, prefix + "endpoint", builder::endpoint, properties.endpoint());
      set(problems, prefix + "region", builder::region, properties.region());
    }
    builder.createTopicIfMissing(properties.createTopicIfMissing());
    set(
        problems,
        prefix + "dead-letter-topic",
        builder::deadLetterTopic,
        properties.deadLetterTopic());
    DatisProperties.Batching batching = properties.batching();
    if (batching.maxMessages() != null || batching.maxBytes() != null) {
      long messages = orDefault(batching.maxMessages(), PubSubSink.Builder.DEFAULT_BATCH_MESSAGES);
      long bytes = bytes(batching.maxBytes(), PubSubSink.Builder.DEFAULT_BATCH_BYTES);
      set(problems, prefix + "batching", ignored -> builder.batching(messages, bytes), "");
    }
    DatisProperties.FlowControl flow = properties.flowControl();
    if (flow.maxOutstandingMessages() != null || flow.maxOutstandingBytes() != null) {
      long messages =
          orDefault(
              flow.maxOutstandingMessages(), PubSubSink.Builder.DEFAULT_MAX_OUTSTANDING_MESSAGES);
      long bytes =
          bytes(flow.maxOutstandingBytes(), PubSubSink.Builder.DEFAULT_MAX_OUTSTANDING_BYTES);
      set(problems, prefix + "flow-control", ignored -> builder.flowControl(messages, bytes), "");
    }
    builder.compression(properties.compression());
    set(problems, prefix + "publish-timeout", builder::publishTimeout, properties.publishTimeout());
    set(problems, prefix + "start-timeout", builder::startTimeout, properties.startTimeout());
    Duration closeTimeout = properties.closeTimeout();
    set(
        problems,
        prefix + "close-timeout",
        builder::closeTimeout,
        closeTimeout != null ? closeTimeout : defaultCloseTimeout);
    for (Map.Entry<String, String> attribute : properties.attributes().entrySet()) {
      set(
          problems,
          prefix + "attributes." + attribute.getKey(),
          value -> builder.attribute(attribute.getKey(), value),
          attribute.getValue());
    }
    for (DatisPubSubSinkCustomizer customizer : customizers) {
      try {
        customizer.customize(pipeline, builder);
      } catch (RuntimeException e) {
        problems.add(
            "DatisPubSubSinkCustomizer "
                + customizer.getClass().getName()
                + " failed for pipeline '"
                + pipeline
                + "': "
                + e.getMessage());
      }
    }
    if (problems.size() > before) {
      return null;
    }
    try {
      return builder.build();
    } catch (ConfigurationException e) {
      for (String problem : e.problems()) {
        problems.add("datis.pipelines." + pipeline + ".pubsub: " + problem);
      }
      return null;
    }
  }

  private static void orderingKeys(
      String prefix,
      DatisProperties.PubSub properties,
      PubSubSink.Builder builder,
      List<String> problems) {
    DatisProperties.OrderingKeyChoice choice = properties.orderingKeys();
    Integer buckets = properties.orderingBuckets();
    if (buckets != null) {
      if (choice != null && choice != DatisProperties.OrderingKeyChoice.TABLE_AND_KEY_BUCKET) {
        problems.add(
            prefix
                + "ordering-buckets is set, but "
                + prefix
                + "ordering-keys is "
                + choice.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
                + ": set ordering-keys to table-and-key-bucket, or remove ordering-buckets");
        return;
      }
      set(
          problems,
          prefix + "ordering-buckets",
          value -> builder.orderingKeys(OrderingKeys.tableAndKeyBucket(value)),
          buckets);
    } else if (choice == DatisProperties.OrderingKeyChoice.TABLE_AND_KEY_BUCKET) {
      problems.add(
          prefix
              + "ordering-keys is table-and-key-bucket, but "
              + prefix
              + "ordering-buckets is not set: set it to the number of buckets per table, 1 to"
              + " 10,000 (e.g. 64)");
    } else if (choice == DatisProperties.OrderingKeyChoice.NONE) {
      builder.orderingKeys(OrderingKeys.none());
    }
  }

  private static MessageFormat format(DatisProperties.Format format) {
    switch (format) {
      case DEBEZIUM_JSON:
        return MessageFormat.debeziumJson();
      case CLOUD_EVENTS:
        return MessageFormat.cloudEvents();
      case CLOUD_EVENTS_BINARY:
        return MessageFormat.cloudEventsBinary();
      case DATIS_JSON:
      default:
        return MessageFormat.datisJson();
    }
  }

  private static long orDefault(@Nullable Long value, long defaultValue) {
    return value != null ? value : defaultValue;
  }

  private static long bytes(@Nullable DataSize value, long defaultValue) {
    return value != null ? value.toBytes() : defaultValue;
  }

  private static <T> void set(
      List<String> problems, String property, Consumer<T> setter, @Nullable T value) {
    if (value == null) {
      return;
    }
    try {
      setter.accept(value);
    } catch (IllegalArgumentException e) {
      problems.add(property + " is invalid: " + e.getMessage());
    }
  }
}
