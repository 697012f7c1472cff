package io.datis.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.pubsub.internal.EncodingContext;
import io.datis.pubsub.internal.MessageEncoder;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Prints what encoding a typical event costs. It asserts nothing about time (build machines vary);
 * the figure is for people reading the test output.
 */
class EncodingCostTest {

  @Test
  void encodingATypicalTenColumnEventTakesAFewMicroseconds() {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", 123_456L);
    row.put("customer_id", 987);
    row.put("status", "paid");
    row.put("total", new BigDecimal("199.99"));
    row.put("currency", "EUR");
    row.put("created_at", Instant.parse("2026-01-02T03:04:05.123456Z"));
    row.put("updated_at", Instant.parse("2026-01-02T03:05:05.5Z"));
    row.put("note", "leave at the door");
    row.put("express", false);
    row.put("ref", UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
    ChangeEvent event =
        ChangeEvent.builder(Operation.UPDATE, TableId.of("public", "orders"))
            .keyColumns(List.of("id"))
            .after(row)
            .position(Position.of(0x16B3748L, 571, 3))
            .commitTime(Instant.parse("2026-01-02T03:04:05.123456Z"))
            .build();
    EncodingContext context = EncodingContext.of("shop-cdc", "shop");
    OrderingKeys keys = OrderingKeys.tableAndPrimaryKey();

    for (MessageFormat format : List.of(MessageFormat.datisJson(), MessageFormat.debeziumJson())) {
      MessageEncoder encoder = format.encoder();
      PubsubMessage message = encoder.encode(event, keys.keyFor(event), context);
      long bytes = 0;
      for (int i = 0; i < 300_000; i++) { // warm-up, so that the JIT has compiled the path
        bytes += encoder.encode(event, keys.keyFor(event), context).getData().size();
      }
      // The best of several rounds: other processes on the machine only ever add time.
      double bestMicros = Double.MAX_VALUE;
      int events = 50_000;
      for (int round = 0; round < 8; round++) {
        long start = System.nanoTime();
        for (int i = 0; i < events; i++) {
          bytes += encoder.encode(event, keys.keyFor(event), context).getData().size();
        }
        bestMicros = Math.min(bestMicros, (System.nanoTime() - start) / 1_000.0 / events);
      }

      System.out.printf(
          Locale.ROOT,
          "Encoding a 10-column UPDATE with %s and its ordering key: %.2f µs per event"
              + " (%d bytes of data)%n",
          format,
          bestMicros,
          message.getData().size());
      assertThat(bytes).isPositive();
    }
  }
}
