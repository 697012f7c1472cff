package io.datis.bench;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutures;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.debezium.DebeziumException;
import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.format.Json;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Scenarios 2 and 5: the Debezium 3.6.1 embedded engine used directly, as users do without Datis.
 */
final class DebeziumScenarios {

  private DebeziumScenarios() {}

  /**
   * The connector settings both scenarios share: Debezium's defaults, plus what is needed to read
   * the pre-created slot and publication from its current position, with offsets in memory.
   */
  static Properties defaults(ChildSpec spec, String name) {
    Properties props = new Properties();
    props.setProperty("name", name);
    props.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    props.setProperty(
        "offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    props.setProperty("topic.prefix", "bench");
    props.setProperty("database.hostname", spec.host());
    props.setProperty("database.port", Integer.toString(spec.port()));
    props.setProperty("database.dbname", spec.database());
    props.setProperty("database.user", spec.user());
    props.setProperty("database.password", spec.password());
    props.setProperty("plugin.name", "pgoutput");
    props.setProperty("slot.name", spec.get("slot"));
    props.setProperty("publication.name", spec.get("publication"));
    props.setProperty("table.include.list", spec.get("table").replace(".", "\\."));
    props.setProperty("snapshot.mode", "no_data");
    return props;
  }

  /** Scenario 2: the async engine with default settings and a consumer that only counts. */
  static Closeable rawCounting(ChildSpec spec, Progress progress) {
    String topicSuffix = "." + spec.get("table");
    DebeziumEngine<RecordChangeEvent<SourceRecord>> engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(defaults(spec, "bench-raw"))
            .using(
                (success, message, error) -> {
                  if (!success) {
                    progress.fail(error == null ? new IllegalStateException(message) : error);
                  }
                })
            .notifying(
                event -> {
                  SourceRecord record = event.record();
                  if (record.value() != null && record.topic().endsWith(topicSuffix)) {
                    progress.add(1);
                  }
                })
            .build();
    return run(engine);
  }

  /**
   * Scenario 5: the pattern of Debezium Server's Pub/Sub sink. Per batch: convert each record to
   * JSON, publish each with the client's default batching and message ordering (the record's JSON
   * key as ordering key), block until every publish is acknowledged, then mark every record
   * processed and the batch finished.
   */
  static Closeable blockingBatch(ChildSpec spec, Progress progress) throws Exception {
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(spec.get("pubsub")).usePlaintext().build();
    Publisher publisher =
        Publisher.newBuilder(TopicName.of(spec.get("project"), spec.get("topic")))
            .setChannelProvider(
                FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
            .setCredentialsProvider(NoCredentialsProvider.create())
            .setEnableMessageOrdering(true)
            .build();
    Properties props = defaults(spec, "bench-blocking-batch");
    // Plain JSON rows (no schema in each message), as Debezium Server users usually configure it.
    props.setProperty("converter.schemas.enable", "false");
    DebeziumEngine<ChangeEvent<String, String>> engine =
        DebeziumEngine.create(Json.class)
            .using(props)
            .using(
                (success, message, error) -> {
                  if (!success) {
                    progress.fail(error == null ? new IllegalStateException(message) : error);
                  }
                })
            .notifying(
                (List<ChangeEvent<String, String>> records,
                    DebeziumEngine.RecordCommitter<ChangeEvent<String, String>> committer) -> {
                  List<ApiFuture<String>> published = new ArrayList<>(records.size());
                  for (ChangeEvent<String, String> record : records) {
                    if (record.value() == null) {
                      continue;
                    }
                    progress.seen();
                    String key = record.key();
                    published.add(
                        publisher.publish(
                            PubsubMessage.newBuilder()
                                .setData(ByteString.copyFromUtf8(record.value()))
                                .setOrderingKey(key == null ? "" : key)
                                .build()));
                  }
                  try {
                    ApiFutures.allAsList(published).get();
                  } catch (ExecutionException e) {
                    throw new DebeziumException("Publishing to Pub/Sub failed", e.getCause());
                  }
                  for (ChangeEvent<String, String> record : records) {
                    committer.markProcessed(record);
                  }
                  committer.markBatchFinished();
                  progress.add(published.size());
                })
            .build();
    Closeable running = run(engine);
    return () -> {
      running.close();
      publisher.shutdown();
      try {
        publisher.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      channel.shutdownNow();
    };
  }

  private static Closeable run(DebeziumEngine<?> engine) {
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "bench-debezium-engine");
              thread.setDaemon(true);
              return thread;
            });
    executor.execute(engine);
    return () -> {
      engine.close();
      executor.shutdown();
      try {
        executor.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }
}
