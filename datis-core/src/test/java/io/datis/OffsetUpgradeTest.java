package io.datis;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Users upgrading from Datis on Debezium 3.6.1 keep their offsets: a pipeline starts on offsets in
 * the form that version wrote them (Kafka's file format for the file store, the same table for the
 * PostgreSQL store; Debezium 3.6.1's keys, without 3.7's {@code lsn_events_processed}) and resumes
 * after the last committed transaction, with no snapshot and nothing lost or delivered again.
 */
class OffsetUpgradeTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The keys of Debezium 3.6.1's offset at a transaction end (PostgresOffsetContext.getOffset,
   * 3.6.1).
   */
  private static final Set<String> KEYS_OF_3_6_1 =
      Set.of(
          "ts_usec",
          "txId",
          "lsn",
          "lsn_proc",
          "lsn_commit",
          "messageType",
          "transaction_id",
          "transaction_data_collection_order_public.items");

  @TempDir Path directory;

  @Test
  void resumesFromAnOffsetsFileWrittenByTheDebezium361EraFileStore() throws Exception {
    Path file = directory.resolve("items.offsets");
    OffsetStore offsets = OffsetStore.file(file);
    runOnceAndStop(offsets);

    // As Kafka's FileOffsetBackingStore left it: the serialized map alone, no previous copy.
    Map<byte[], byte[]> raw = readKafkaFormat(file);
    assertThat(raw).hasSize(1);
    Map.Entry<byte[], byte[]> offset = raw.entrySet().iterator().next();
    Files.deleteIfExists(directory.resolve("items.offsets.previous"));
    writeKafkaFormat(file, Map.of(offset.getKey(), as361(offset.getValue())));

    resumesWithoutSnapshotOrRedelivery(offsets);
  }

  @Test
  void resumesFromAnOffsetsTableWrittenByTheDebezium361EraPostgresStore() throws Exception {
    OffsetStore offsets = OffsetStore.postgres();
    runOnceAndStop(offsets);

    byte[] value =
        pg.query(
                "SELECT offset_value FROM public.datis_offsets WHERE pipeline = 'items'",
                row -> row.getBytes(1))
            .get(0);
    try (var connection = pg.connect();
        var update =
            connection.prepareStatement(
                "UPDATE public.datis_offsets SET offset_value = ? WHERE pipeline = 'items'")) {
      update.setBytes(1, as361(value));
      assertThat(update.executeUpdate()).isEqualTo(1);
    }

    resumesWithoutSnapshotOrRedelivery(offsets);
  }

  /**
   * Snapshot of rows 1 to 3, then row 4 streamed and committed; rows 5 and 6 written while stopped.
   */
  private static void runOnceAndStop(OffsetStore offsets) {
    pg.execute(
        "CREATE TABLE public.items (id int PRIMARY KEY)",
        "INSERT INTO public.items VALUES (1), (2), (3)");
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = start(offsets, sink)) {
      sink.awaitEvents(3, TIMEOUT);
      pg.execute("INSERT INTO public.items VALUES (4)");
      sink.awaitEvents(4, TIMEOUT);
    }
    pg.execute("INSERT INTO public.items VALUES (5)", "INSERT INTO public.items VALUES (6)");
  }

  private static void resumesWithoutSnapshotOrRedelivery(OffsetStore offsets) {
    InMemorySink sink = new InMemorySink();
    try (Pipeline pipeline = start(offsets, sink)) {
      pg.execute("INSERT INTO public.items VALUES (7)");

      List<ChangeEvent> events = sink.awaitEvents(3, TIMEOUT);

      assertThat(events).extracting(ChangeEvent::operation).containsOnly(Operation.INSERT);
      assertThat(events)
          .extracting(event -> event.after().orElseThrow().get("id"))
          .containsExactly(5, 6, 7);
    }
  }

  /**
   * The offset value as Debezium 3.6.1 wrote it at a transaction end: the same JSON keys, checked
   * to be exactly 3.6.1's, so the test would notice 3.7 needing one of its own.
   */
  private static byte[] as361(byte[] value) throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> offset = JSON.readValue(value, Map.class);
    assertThat(offset.keySet()).isEqualTo(KEYS_OF_3_6_1);
    assertThat(offset).containsEntry("messageType", "COMMIT");
    return JSON.writeValueAsString(offset).getBytes(StandardCharsets.UTF_8);
  }

  private static Pipeline start(OffsetStore offsets, InMemorySink sink) {
    return Datis.capture(pg.source())
        .name("items")
        .tables("public.items")
        .offsets(offsets)
        .to(sink)
        .start();
  }

  @SuppressWarnings("unchecked")
  private static Map<byte[], byte[]> readKafkaFormat(Path file) throws Exception {
    try (InputStream in = Files.newInputStream(file);
        ObjectInputStream objects = new ObjectInputStream(in)) {
      return (Map<byte[], byte[]>) objects.readObject();
    }
  }

  private static void writeKafkaFormat(Path file, Map<byte[], byte[]> offsets) throws Exception {
    try (OutputStream out = Files.newOutputStream(file);
        ObjectOutputStream objects = new ObjectOutputStream(out)) {
      objects.writeObject(new HashMap<>(offsets));
    }
  }
}
