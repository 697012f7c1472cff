package io.datis.samples.pubsub;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.pubsub.MessageFormat;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL to Google Cloud Pub/Sub, run entirely on this machine: an embedded PostgreSQL, the
 * testkit's local Pub/Sub server (a real gRPC server the official client talks to as to the
 * emulator), a pipeline with the Pub/Sub sink, and a subscription that reads the messages back in
 * order.
 *
 * <p>Run it with {@code mvn -q -pl samples -am package -DskipTests -Pquickstart}.
 */
public final class PubSubQuickstart {

  private PubSubQuickstart() {}

  public static void main(String[] args) throws Exception {
    int received = run(System.out);
    System.out.println("Pub/Sub quickstart done: " + received + " messages received.");
  }

  /**
   * Runs the sample, printing to {@code out}; returns how many messages the subscription received.
   */
  public static int run(PrintStream out) throws Exception {
    try (DatisPostgres pg = DatisPostgres.embedded().start();
        LocalPubSub pubsub = LocalPubSub.create().start()) {
      pg.execute(
          "CREATE TABLE public.orders (id int PRIMARY KEY, item text NOT NULL, status text NOT NULL)");
      pubsub.createTopic("demo-project", "orders-cdc");
      pubsub.createSubscription("demo-project", "orders-cdc-sub", "orders-cdc", true);

      // [pubsub]
      // Ordering keys default to table + primary key: each row's changes stay in order.
      PubSubSink sink =
          PubSubSink.builder("demo-project", "orders-cdc")
              // Omit emulator(...) in production: Application Default Credentials are used.
              .emulator(pubsub.hostPort())
              // Or debeziumJson(), cloudEvents(), cloudEventsBinary().
              .format(MessageFormat.datisJson())
              .build();

      Pipeline pipeline =
          Datis.capture(pg.source())
              .name("orders-to-pubsub")
              .tables("public.orders")
              .snapshot(SnapshotMode.CHANGES_ONLY)
              .offsets(OffsetStore.inMemory())
              .to(sink)
              .start();
      // [pubsub]

      try (pipeline) {
        pg.execute(
            "INSERT INTO orders VALUES (1, 'coffee', 'new')",
            "UPDATE orders SET status = 'paid' WHERE id = 1",
            "DELETE FROM orders WHERE id = 1");

        List<PubsubMessage> messages = new ArrayList<>();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (messages.size() < 3 && System.nanoTime() < deadline) {
          messages.addAll(pubsub.pull("demo-project", "orders-cdc-sub", 10));
          Thread.sleep(50);
        }
        for (PubsubMessage message : messages) {
          out.println(
              message.getAttributesMap().get("datis-operation")
                  + " key="
                  + message.getOrderingKey()
                  + " "
                  + message.getData().toString(StandardCharsets.UTF_8));
        }
        return messages.size();
      }
    }
  }
}
