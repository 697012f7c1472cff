package io.datis.pubsub;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import io.datis.pubsub.internal.EncodingContext;
import io.datis.pubsub.internal.MessageEncoder;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-event cost of turning a {@code ChangeEvent} into a Pub/Sub message in each {@link
 * MessageFormat}, ordering key included, as {@code PubSubSink} does for every event: an INSERT into
 * an orders table of seven columns, one of them a ~100-byte text payload.
 *
 * <p>Lives in {@code io.datis.pubsub} because {@code MessageFormat.encoder()} is package-private.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class MessageFormatBenchmark {

  private static final int EVENTS = 1024;

  @Param({"datisJson", "debeziumJson", "cloudEvents", "cloudEventsBinary"})
  public String format;

  private MessageEncoder encoder;
  private OrderingKeys keys;
  private EncodingContext context;
  private ChangeEvent[] events;
  private int next;

  @Setup
  public void setUp() {
    MessageFormat chosen;
    switch (format) {
      case "datisJson":
        chosen = MessageFormat.datisJson();
        break;
      case "debeziumJson":
        chosen = MessageFormat.debeziumJson();
        break;
      case "cloudEvents":
        chosen = MessageFormat.cloudEvents();
        break;
      case "cloudEventsBinary":
        chosen = MessageFormat.cloudEventsBinary();
        break;
      default:
        throw new IllegalArgumentException("Unknown format " + format);
    }
    encoder = chosen.encoder();
    keys = OrderingKeys.tableAndPrimaryKey();
    context = EncodingContext.of("bench", "postgres");
    events = new ChangeEvent[EVENTS];
    Instant commit = Instant.parse("2026-01-15T10:00:00.123456Z");
    for (int i = 0; i < EVENTS; i++) {
      long id = 1_000 + i;
      Map<String, Object> after = new LinkedHashMap<>();
      after.put("id", id);
      after.put("customer_id", (int) (id % 977));
      after.put("status", "NEW");
      after.put("total", new BigDecimal("1234.50").add(BigDecimal.valueOf(id, 2)));
      after.put("created_at", commit);
      after.put("updated_at", LocalDateTime.parse("2026-01-15T10:00:00.123456"));
      after.put("payload", "0123456789abcdef".repeat(6) + "0123");
      events[i] =
          ChangeEvent.builder(Operation.INSERT, TableId.of("public", "orders"))
              .keyColumns(List.of("id"))
              .after(after)
              .position(Position.of(0x1A2B3C4DL + 128L * i, 800 + i / 10, i % 10 + 1))
              .commitTime(commit.plusNanos(1_000L * i))
              .build();
    }
  }

  /** Encodes one event, with its ordering key. */
  @Benchmark
  public Object encode() {
    ChangeEvent event = events[next];
    next = (next + 1) & (EVENTS - 1);
    return encoder.encode(event, keys.keyFor(event), context);
  }
}
