package io.datis.pubsub.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.Datis;
import io.datis.OffsetStore;
import io.datis.Pipeline;
import io.datis.SnapshotMode;
import io.datis.api.SinkException;
import io.datis.pubsub.PubSubSink;
import io.datis.testkit.DatisPostgres;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The end-to-end delivery checks against the official Pub/Sub emulator, where it is installed or
 * {@code PUBSUB_EMULATOR_HOST} is set; elsewhere skipped with the reason. (Fault injection needs
 * the testkit's server: see {@link PubSubPipelineTest}.)
 */
class OfficialEmulatorPipelineTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded();

  private static final String PROJECT = "datis-emulator-test";
  private static OfficialEmulator emulator;

  @BeforeAll
  static void startEmulator() throws Exception {
    assumeTrue(
        OfficialEmulator.unavailableReason().isEmpty(),
        OfficialEmulator.unavailableReason().orElse(""));
    emulator = OfficialEmulator.start();
  }

  @AfterAll
  static void stopEmulator() throws Exception {
    if (emulator != null) {
      emulator.close();
    }
  }

  @Test
  void deliversTwentyThousandChangesOverThreeTablesWithPerKeyOrder() throws Exception {
    emulator.createTopic(PROJECT, "hot");
    emulator.createOrderedSubscription(PROJECT, "hot-sub", "hot");
    List<String> tables = HotKeys.createTables(pg, "emulated");
    PubSubSink sink = PubSubSink.builder(PROJECT, "hot").emulator(emulator.hostPort()).build();
    try (Subscription subscription =
            Subscription.existing(emulator.hostPort(), PROJECT, "hot-sub");
        Pipeline pipeline =
            Datis.capture(pg.source())
                .name("emulated")
                .tables(tables.toArray(String[]::new))
                .snapshot(SnapshotMode.CHANGES_ONLY)
                .offsets(OffsetStore.inMemory())
                .to(sink)
                .start()) {
      HotKeys.write(pg, tables, 39);

      List<PubsubMessage> received =
          subscription.await(m -> HotKeys.distinctEvents(m) >= 20_000, Duration.ofMinutes(3));

      assertThat(HotKeys.distinctEvents(received)).isEqualTo(20_000);
      HotKeys.assertPerKeyOrder(received);
      HotKeys.assertEveryVersionArrived(received, 39);
      assertThat(pipeline.isRunning()).isTrue();
    }
  }

  @Test
  void aMissingTopicIsAClearErrorAtStart() {
    pg.execute("CREATE TABLE IF NOT EXISTS public.plain (id int PRIMARY KEY)");
    PubSubSink sink = PubSubSink.builder(PROJECT, "absent").emulator(emulator.hostPort()).build();

    assertThatThrownBy(
            () ->
                Datis.capture(pg.source())
                    .name("emulated-missing")
                    .tables("public.plain")
                    .offsets(OffsetStore.inMemory())
                    .to(sink)
                    .start())
        .isInstanceOf(SinkException.class)
        .hasMessageStartingWith(
            "Pub/Sub topic projects/datis-emulator-test/topics/absent does not exist. Fix: create the topic");
  }
}
