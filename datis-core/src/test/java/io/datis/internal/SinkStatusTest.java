package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * What a sink reports about its retries reaches health, metrics and the log, one outage at a time.
 */
class SinkStatusTest {

  private final Logger logger = (Logger) LoggerFactory.getLogger(SinkStatus.class);
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final AtomicInteger retries = new AtomicInteger();
  private final SinkStatus status =
      new SinkStatus("orders", "shop", "sink", retries::incrementAndGet);

  SinkStatusTest() {
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void detach() {
    logger.detachAppender(lines);
  }

  @Test
  void aSecondOutageIsWarnedAsLoudlyAsTheFirst() {
    status.retrying("UNAVAILABLE: connection refused");
    status.retrying("UNAVAILABLE: connection refused");
    assertThat(status.healthReason())
        .startsWith("sink retrying for ")
        .endsWith("UNAVAILABLE: connection refused");
    status.recovered();
    assertThat(status.healthReason()).isNull();
    status.retrying("DEADLINE_EXCEEDED");

    assertThat(retries).hasValue(3);
    assertThat(lines.list)
        .filteredOn(line -> line.getLevel().isGreaterOrEqual(Level.INFO))
        .extracting(line -> line.getLevel() + " " + line.getFormattedMessage())
        .satisfiesExactly(
            line ->
                assertThat(line)
                    .startsWith(
                        "WARN Pipeline 'orders': sink retrying: UNAVAILABLE: connection refused ("),
            line ->
                assertThat(line).startsWith("INFO Pipeline 'orders': sink delivers again, after "),
            line ->
                assertThat(line)
                    .startsWith("WARN Pipeline 'orders': sink retrying: DEADLINE_EXCEEDED ("));
  }
}
