package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class TroubleLogTest {

  private final Logger logger = (Logger) LoggerFactory.getLogger("io.datis.test.TroubleLogTest");
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final TroubleLog troubles =
      new TroubleLog(logger, "further failures are logged at DEBUG");

  TroubleLogTest() {
    logger.setLevel(Level.DEBUG);
    lines.start();
    logger.addAppender(lines);
  }

  @Test
  void warnsWhenATroubleBeginsDebugsWhileItLastsAndWarnsAgainAfterItWasOver() {
    troubles.occurred("sink", "sink retrying: {}", "UNAVAILABLE");
    troubles.occurred("sink", "sink retrying: {}", "UNAVAILABLE");
    troubles.over("sink", "sink delivers again");
    troubles.over("sink", "sink delivers again");
    troubles.occurred("sink", "sink retrying: {}", "DEADLINE_EXCEEDED");

    assertThat(lines.list)
        .extracting(line -> line.getLevel() + " " + line.getFormattedMessage())
        .containsExactly(
            "WARN sink retrying: UNAVAILABLE (further failures are logged at DEBUG)",
            "DEBUG sink retrying: UNAVAILABLE",
            "INFO sink delivers again",
            "WARN sink retrying: DEADLINE_EXCEEDED (further failures are logged at DEBUG)");
  }

  @Test
  void eachKindOfTroubleIsWarnedOnItsOwn() {
    troubles.occurred("transform", "skipped {}", 1);
    troubles.occurred("sink", "skipped {}", 2);
    troubles.occurred("transform", "skipped {}", 3);

    assertThat(lines.list)
        .extracting(ILoggingEvent::getLevel)
        .containsExactly(Level.WARN, Level.WARN, Level.DEBUG);
    assertThat(troubles.isOngoing("transform")).isTrue();
    assertThat(troubles.isOngoing("source")).isFalse();
  }
}
