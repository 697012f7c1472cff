package io.datis.pubsub.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.datis.testkit.DatisPostgres;
import io.datis.testkit.pubsub.LocalPubSub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scaling out by pipelines: every replica of a service runs the same three pipelines, and each
 * pipeline is active in exactly one replica. When the replica holding them all dies, the two left
 * take them over between them, and every change of every table arrives.
 */
class ScaleOutTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static final LocalPubSub pubsub = LocalPubSub.create();

  private static final String PROJECT = "datis-faults";
  private static final String TOPIC = "scale";
  private static final String PIPELINE = "scale";
  private static final int PIPELINES = 3;
  private static final Duration WAIT = Duration.ofSeconds(90);

  private final List<ChildJvm> replicas = new ArrayList<>();

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void threePipelinesInEveryReplicaAreEachActiveExactlyOnceAndDeliverEverything() throws Exception {
    for (int i = 0; i < PIPELINES; i++) {
      pg.execute("CREATE TABLE public.scale_rows_" + i + " (id int PRIMARY KEY)");
      pubsub.createTopic(PROJECT, TOPIC + "-" + i);
    }
    try {
      ChildJvm first = launch("scale-a");
      first.awaitLine("STARTED", WAIT);
      ChildJvm second = launch("scale-b");
      ChildJvm third = launch("scale-c");
      second.awaitLine("STARTED", WAIT);
      third.awaitLine("STARTED", WAIT);
      assertThat(activeIn(first)).as("the first replica started every pipeline").hasSize(3);
      insert(1, 300);

      first.kill();
      long killedAt = System.currentTimeMillis();
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> activeIn(second).size() + activeIn(third).size() == PIPELINES);
      List<String> inSecond = activeIn(second);
      List<String> inThird = activeIn(third);
      System.out.printf(
          "ScaleOutTest: after the replica holding all three died, %s active in one, %s in the"
              + " other (taken over within %d ms)%n",
          inSecond, inThird, System.currentTimeMillis() - killedAt);
      assertThat(inSecond).doesNotContainAnyElementsOf(inThird);
      insert(301, 600);

      for (int i = 0; i < PIPELINES; i++) {
        String topic = TOPIC + "-" + i;
        await()
            .atMost(WAIT)
            .until(
                () -> Deliveries.distinctEvents(pubsub.publishedMessages(PROJECT, topic)) == 600);
      }
      assertThat(activeIn(second).size() + activeIn(third).size()).isEqualTo(PIPELINES);
    } finally {
      for (ChildJvm replica : replicas) {
        replica.close();
      }
    }
  }

  private static void insert(int from, int to) {
    for (int i = 0; i < PIPELINES; i++) {
      pg.execute(
          "INSERT INTO public.scale_rows_"
              + i
              + " SELECT g FROM generate_series("
              + from
              + ", "
              + to
              + ") g");
    }
  }

  /** The pipelines a live replica says it is active for, by its last ROLE line of each. */
  private static List<String> activeIn(ChildJvm replica) {
    if (!replica.isAlive()) {
      return List.of();
    }
    Map<String, String> roles = new HashMap<>();
    for (String line : replica.lines("ROLE ")) {
      String[] parts = line.split(" ");
      roles.put(parts[1], parts[2]);
    }
    return roles.entrySet().stream()
        .filter(entry -> entry.getValue().equals("ACTIVE"))
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  private ChildJvm launch(String name) {
    ChildJvm replica =
        ChildJvm.launch(
            name,
            ReplicaSetProcess.class,
            List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"),
            pg,
            pubsub,
            "project=" + PROJECT,
            "topic=" + TOPIC,
            "name=" + PIPELINE,
            "table=public.scale_rows",
            "pipelines=" + PIPELINES);
    replicas.add(replica);
    return replica;
  }
}
