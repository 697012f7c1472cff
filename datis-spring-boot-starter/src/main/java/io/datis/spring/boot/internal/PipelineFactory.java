package io.datis.spring.boot.internal;

import io.datis.Datis;
import io.datis.ErrorPolicy;
import io.datis.OffsetStore;
import io.datis.PipelineBuilder;
import io.datis.SnapshotMode;
import io.datis.api.ConfigurationException;
import io.datis.api.sink.DeadLetterSink;
import io.datis.api.sink.Sink;
import io.datis.api.transform.Transform;
import io.datis.postgres.PostgresSource;
import io.datis.spring.boot.DatisPipelineCustomizer;
import io.datis.spring.boot.DatisProperties;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

/**
 * Turns {@code datis.pipelines.*} into pipeline builders, checking every setting at startup: all
 * problems of all pipelines are reported together, each naming its property and the fix.
 */
public final class PipelineFactory {

  /** Spring Boot's default {@code spring.lifecycle.timeout-per-shutdown-phase}. */
  static final Duration DEFAULT_SHUTDOWN_PHASE_TIMEOUT = Duration.ofSeconds(30);

  /** How long a pipeline's close waits at most for the end of a transaction (Datis's). */
  private static final Duration TRANSACTION_END_WAIT = Duration.ofSeconds(5);

  private static final Logger log = LoggerFactory.getLogger(PipelineFactory.class);

  private final @Nullable PostgresSource source;
  private final ListableBeanFactory beans;
  private final @Nullable PubSubSinks pubSubSinks;
  private final @Nullable MeterRegistry meterRegistry;
  private final List<DatisPipelineCustomizer> customizers;
  private final Duration shutdownPhaseTimeout;

  /**
   * A factory for pipelines capturing from {@code source}.
   *
   * @param source the source, {@code null} when the application has none (an error if a pipeline is
   *     configured)
   * @param beans where the {@code Sink}, {@code Transform} and {@code DeadLetterSink} beans that
   *     the properties name are looked up
   * @param pubSubSinks builds the sinks of {@code pubsub} blocks; {@code null} without {@code
   *     io.datis:datis-pubsub}
   * @param meterRegistry where the pipelines' meters go, if anywhere
   * @param environment to read {@code spring.lifecycle.timeout-per-shutdown-phase}
   */
  public PipelineFactory(
      @Nullable PostgresSource source,
      ListableBeanFactory beans,
      @Nullable PubSubSinks pubSubSinks,
      @Nullable MeterRegistry meterRegistry,
      List<DatisPipelineCustomizer> customizers,
      Environment environment) {
    this.source = source;
    this.beans = Objects.requireNonNull(beans, "beans");
    this.pubSubSinks = pubSubSinks;
    this.meterRegistry = meterRegistry;
    this.customizers = List.copyOf(customizers);
    this.shutdownPhaseTimeout = shutdownPhaseTimeout(environment);
  }

  /**
   * Reads {@code spring.lifecycle.timeout-per-shutdown-phase}, Spring Boot's default (30 s) when
   * not set.
   */
  public static Duration shutdownPhaseTimeout(Environment environment) {
    return Binder.get(environment)
        .bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
        .orElse(DEFAULT_SHUTDOWN_PHASE_TIMEOUT);
  }

  /**
   * The close timeout of a pipeline, and of its Pub/Sub sink, that sets none: a third of the
   * shutdown phase's timeout. A pipeline's close waits up to its close timeout for the sink's
   * outstanding batches, up to 5 s (within the close timeout) for the end of a transaction, then
   * for the sink's own close: a third each keeps the whole within the phase.
   */
  public static Duration defaultCloseTimeout(Duration shutdownPhaseTimeout) {
    return shutdownPhaseTimeout.isNegative() ? Duration.ZERO : shutdownPhaseTimeout.dividedBy(3);
  }

  /**
   * One runner per configured pipeline, in the order configured.
   *
   * @throws ConfigurationException listing every problem found, of every pipeline
   */
  public List<PipelineRunner> create(DatisProperties properties) {
    List<String> problems = new ArrayList<>();
    Map<String, String> sinkUsers = new HashMap<>();
    List<PipelineRunner> runners = new ArrayList<>();
    int exitCode = properties.exitCodeOnPipelineFailure();
    if (exitCode < 0 || exitCode > 255) {
      problems.add(
          "datis.exit-code-on-pipeline-failure is invalid: an exit status is 0 to 255 (1 is the"
              + " default; 0 lets the process end by itself, with status 0), but was "
              + exitCode);
    }
    if (source == null && !properties.pipelines().isEmpty()) {
      problems.add(
          "datis.pipelines."
              + properties.pipelines().keySet().iterator().next()
              + " needs a PostgreSQL database to capture from, but there is none: set"
              + " datis.source.jdbc-url (jdbc:postgresql://host:5432/database), .user and"
              + " .password; or spring.datasource.url, .username and .password; or declare a"
              + " PostgresSource bean");
    }
    for (Map.Entry<String, DatisProperties.Pipeline> entry : properties.pipelines().entrySet()) {
      PipelineBuilder builder =
          source == null ? null : builder(entry.getKey(), entry.getValue(), sinkUsers, problems);
      if (builder != null) {
        runners.add(new PipelineRunner(entry.getKey(), builder));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(Sources.SUBJECT, problems);
    }
    return List.copyOf(runners);
  }

  private @Nullable PipelineBuilder builder(
      String name,
      DatisProperties.Pipeline pipeline,
      Map<String, String> sinkUsers,
      List<String> problems) {
    String prefix = "datis.pipelines." + name + ".";
    int before = problems.size();
    PipelineBuilder builder = Datis.capture(Objects.requireNonNull(source));
    try {
      builder.name(name);
    } catch (IllegalArgumentException e) {
      problems.add("datis.pipelines." + name + " has an invalid name: " + e.getMessage());
    }
    if (pipeline.tables().isEmpty()) {
      problems.add(
          prefix
              + "tables is not set: list the tables to capture, schema-qualified, e.g. "
              + prefix
              + "tables=public.orders,public.order_lines");
    }
    for (String table : pipeline.tables()) {
      set(problems, prefix + "tables", value -> builder.tables(value), table);
    }
    set(problems, prefix + "slot-name", builder::slotName, pipeline.slotName());
    set(
        problems,
        prefix + "publication-name",
        builder::publicationName,
        pipeline.publicationName());
    SnapshotMode snapshot = pipeline.snapshot();
    if (snapshot != null) {
      builder.snapshot(snapshot);
    }
    offsets(prefix, pipeline.offsets(), builder, problems);
    set(problems, prefix + "max-batch-size", builder::maxBatchSize, pipeline.maxBatchSize());
    set(
        problems,
        prefix + "max-in-flight-events",
        builder::maxInFlightEvents,
        pipeline.maxInFlightEvents());
    Integer batch = pipeline.maxBatchSize();
    Integer inFlight = pipeline.maxInFlightEvents();
    if (batch != null && inFlight != null && inFlight < batch) {
      problems.add(
          prefix
              + "max-in-flight-events ("
              + inFlight
              + ") is smaller than "
              + prefix
              + "max-batch-size ("
              + batch
              + "): raise the one or lower the other");
    }
    DataSize maxInFlightBytes = pipeline.maxInFlightBytes();
    if (maxInFlightBytes != null) {
      set(
          problems,
          prefix + "max-in-flight-bytes",
          builder::maxInFlightBytes,
          maxInFlightBytes.toBytes());
    }
    DataSize slotLagThreshold = pipeline.slotLagThreshold();
    if (slotLagThreshold != null) {
      set(
          problems,
          prefix + "slot-lag-threshold",
          builder::slotLagThreshold,
          slotLagThreshold.toBytes());
    }
    if (pipeline.resnapshotIfSlotLost()) {
      if (snapshot == SnapshotMode.CHANGES_ONLY) {
        problems.add(
            prefix
                + "resnapshot-if-slot-lost reads the tables again, which "
                + prefix
                + "snapshot=changes-only forbids: remove one of the two");
      }
      builder.resnapshotIfSlotLost();
    }
    builder.standby(pipeline.standby());
    Duration defaultCloseTimeout = defaultCloseTimeout(shutdownPhaseTimeout);
    Duration configuredCloseTimeout = pipeline.closeTimeout();
    Duration closeTimeout =
        configuredCloseTimeout != null ? configuredCloseTimeout : defaultCloseTimeout;
    set(problems, prefix + "close-timeout", builder::closeTimeout, closeTimeout);
    for (Map.Entry<String, String> property : pipeline.debezium().entrySet()) {
      set(
          problems,
          prefix + "debezium." + property.getKey(),
          value -> builder.debeziumProperty(property.getKey(), value),
          property.getValue());
    }
    for (String transformName : pipeline.transforms()) {
      Transform transform =
          bean(prefix + "transforms", transformName, Transform.class, "Transform", problems);
      if (transform != null) {
        builder.transform(transform);
      }
    }
    errorPolicy(prefix, pipeline, builder, problems);
    Sink sink = sink(name, prefix, pipeline, defaultCloseTimeout, sinkUsers, problems);
    if (sink != null) {
      builder.to(sink);
    }
    if (meterRegistry != null) {
      builder.metrics(meterRegistry);
    }
    if (problems.size() > before) {
      return null;
    }
    for (DatisPipelineCustomizer customizer : customizers) {
      try {
        customizer.customize(name, builder);
      } catch (RuntimeException e) {
        problems.add(
            "DatisPipelineCustomizer "
                + customizer.getClass().getName()
                + " failed for pipeline '"
                + name
                + "': "
                + e.getMessage());
        return null;
      }
    }
    warnIfCloseExceedsShutdownPhase(prefix, pipeline, closeTimeout, defaultCloseTimeout);
    return builder;
  }

  private static void offsets(
      String prefix,
      DatisProperties.Offsets offsets,
      PipelineBuilder builder,
      List<String> problems) {
    String file = offsets.file();
    String table = offsets.table();
    DatisProperties.Store store = offsets.store();
    if (store == null) {
      if (file != null && table != null) {
        problems.add(
            prefix
                + "offsets.file and "
                + prefix
                + "offsets.table are both set: keep offsets.file for a local file, or"
                + " offsets.table for a table in the captured database");
        return;
      }
      store = table != null ? DatisProperties.Store.POSTGRES : DatisProperties.Store.FILE;
    }
    switch (store) {
      case POSTGRES:
        if (file != null) {
          problems.add(
              prefix
                  + "offsets.file is set, but "
                  + prefix
                  + "offsets.store is postgres: remove offsets.file, or use offsets.store=file");
          return;
        }
        set(
            problems,
            prefix + "offsets.table",
            value -> builder.offsets(OffsetStore.postgres(value)),
            table != null ? table : OffsetStore.DEFAULT_TABLE);
        return;
      case IN_MEMORY:
        if (file != null || table != null) {
          problems.add(
              prefix
                  + "offsets.store is in-memory, which keeps no file or table: remove "
                  + prefix
                  + (file != null ? "offsets.file" : "offsets.table"));
          return;
        }
        builder.offsets(OffsetStore.inMemory());
        return;
      case FILE:
      default:
        if (table != null) {
          problems.add(
              prefix
                  + "offsets.table is set, but "
                  + prefix
                  + "offsets.store is file: remove offsets.table, or use offsets.store=postgres");
          return;
        }
        if (file != null) {
          set(
              problems,
              prefix + "offsets.file",
              value -> builder.offsets(OffsetStore.file(Path.of(value))),
              file);
        }
    }
  }

  private void errorPolicy(
      String prefix,
      DatisProperties.Pipeline pipeline,
      PipelineBuilder builder,
      List<String> problems) {
    ErrorPolicy.Kind kind = pipeline.errorPolicy();
    String deadLetterSinkName = pipeline.deadLetterSink();
    if (kind == null) {
      kind = deadLetterSinkName != null ? ErrorPolicy.Kind.DEAD_LETTER : ErrorPolicy.Kind.FAIL;
    }
    switch (kind) {
      case DEAD_LETTER:
        if (deadLetterSinkName == null) {
          problems.add(
              prefix
                  + "error-policy is dead-letter, but "
                  + prefix
                  + "dead-letter-sink is not set: set it to the name of a DeadLetterSink bean (a"
                  + " second PubSubSink, for example)");
          return;
        }
        DeadLetterSink deadLetters =
            bean(
                prefix + "dead-letter-sink",
                deadLetterSinkName,
                DeadLetterSink.class,
                "DeadLetterSink",
                problems);
        if (deadLetters != null) {
          builder.errorPolicy(ErrorPolicy.deadLetter(deadLetters));
        }
        return;
      case SKIP:
      case FAIL:
      default:
        if (deadLetterSinkName != null) {
          problems.add(
              prefix
                  + "dead-letter-sink is set, but "
                  + prefix
                  + "error-policy is "
                  + kind.name().toLowerCase(Locale.ROOT)
                  + ": set error-policy=dead-letter, or remove dead-letter-sink");
          return;
        }
        builder.errorPolicy(
            kind == ErrorPolicy.Kind.SKIP ? ErrorPolicy.skip() : ErrorPolicy.fail());
    }
  }

  private @Nullable Sink sink(
      String name,
      String prefix,
      DatisProperties.Pipeline pipeline,
      Duration defaultCloseTimeout,
      Map<String, String> sinkUsers,
      List<String> problems) {
    String sinkName = pipeline.sink();
    DatisProperties.PubSub pubsub = pipeline.pubsub();
    if (sinkName != null && pubsub != null) {
      problems.add(
          prefix
              + "sink and "
              + prefix
              + "pubsub are both set: a pipeline has one sink, so keep the one you mean");
      return null;
    }
    if (pubsub != null) {
      if (pubSubSinks == null) {
        problems.add(
            prefix
                + "pubsub is set, but io.datis:datis-pubsub is not on the class path: add that"
                + " dependency, or set "
                + prefix
                + "sink to the name of a Sink bean instead");
        return null;
      }
      return pubSubSinks.create(name, pubsub, defaultCloseTimeout, problems);
    }
    if (sinkName == null) {
      problems.add(
          prefix
              + "sink is not set, and there is no "
              + prefix
              + "pubsub block: set "
              + prefix
              + "sink to the name of a Sink bean, or configure "
              + prefix
              + "pubsub.project and .topic (with io.datis:datis-pubsub on the class path)");
      return null;
    }
    String otherUser = sinkUsers.putIfAbsent(sinkName, name);
    if (otherUser != null) {
      problems.add(
          prefix
              + "sink names the bean '"
              + sinkName
              + "', which pipeline '"
              + otherUser
              + "' delivers to already: a sink serves one pipeline, so declare a Sink bean for"
              + " each");
      return null;
    }
    return bean(prefix + "sink", sinkName, Sink.class, "Sink", problems);
  }

  private <T> @Nullable T bean(
      String property, String name, Class<T> type, String kind, List<String> problems) {
    if (!beans.containsBean(name)) {
      problems.add(
          property
              + " names '"
              + name
              + "', but there is no bean of that name: declare a "
              + kind
              + " bean named '"
              + name
              + "'"
              + known(type, kind));
      return null;
    }
    if (!beans.isTypeMatch(name, type)) {
      Class<?> actual = beans.getType(name);
      problems.add(
          property
              + " names the bean '"
              + name
              + "', which is a "
              + (actual == null ? "bean of unknown type" : actual.getName())
              + ", not a "
              + type.getName()
              + known(type, kind));
      return null;
    }
    return beans.getBean(name, type);
  }

  private String known(Class<?> type, String kind) {
    String[] names = beans.getBeanNamesForType(type);
    return names.length == 0
        ? " (there is no " + kind + " bean)"
        : " (the " + kind + " beans are " + String.join(", ", Arrays.asList(names)) + ")";
  }

  private void warnIfCloseExceedsShutdownPhase(
      String prefix,
      DatisProperties.Pipeline pipeline,
      Duration closeTimeout,
      Duration defaultCloseTimeout) {
    DatisProperties.PubSub pubsub = pipeline.pubsub();
    Duration sinkClose = Duration.ZERO;
    if (pubsub != null) {
      Duration configured = pubsub.closeTimeout();
      sinkClose = configured != null ? configured : defaultCloseTimeout;
    }
    Duration transactionEnd =
        closeTimeout.compareTo(TRANSACTION_END_WAIT) < 0 ? closeTimeout : TRANSACTION_END_WAIT;
    Duration longest = transactionEnd.plus(closeTimeout).plus(sinkClose);
    if (longest.compareTo(shutdownPhaseTimeout) > 0) {
      log.warn(
          "{}close-timeout ({}{}) lets closing the pipeline take up to {}, longer than"
              + " spring.lifecycle.timeout-per-shutdown-phase ({}): Spring may stop waiting for it"
              + " and close the application's beans first. Lower the close timeouts or raise the"
              + " phase's timeout",
          prefix,
          closeTimeout,
          pubsub == null ? "" : ", and pubsub.close-timeout " + sinkClose,
          longest,
          shutdownPhaseTimeout);
    }
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
