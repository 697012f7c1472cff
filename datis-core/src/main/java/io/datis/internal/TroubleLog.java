package io.datis.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * How Datis logs a trouble that repeats (a sink retrying, an unreadable slot, events skipped by the
 * error policy): at WARN when a kind of trouble begins, at DEBUG while it goes on, at INFO when it
 * is over; the same kind beginning again is a new WARN. Logs stay readable through an outage
 * without hiding the next one.
 */
final class TroubleLog {

  private final Logger log;
  private final String repeats;
  private final Set<String> ongoing = ConcurrentHashMap.newKeySet();

  /**
   * @param repeats appended to the WARN line, telling where the repeats go, e.g. {@code further
   *     failures are logged at DEBUG}
   */
  TroubleLog(Logger log, String repeats) {
    this.log = log;
    this.repeats = repeats;
  }

  /** Logs one occurrence of a kind of trouble: WARN if it was not going on, DEBUG if it was. */
  void occurred(String kind, String format, Object... arguments) {
    if (ongoing.add(kind)) {
      if (log.isWarnEnabled()) {
        log.warn(format + " (" + repeats + ")", arguments);
      }
    } else {
      log.debug(format, arguments);
    }
  }

  /**
   * Ends a kind of trouble, logging at INFO if it was going on; the next occurrence WARNs again.
   */
  void over(String kind, String format, Object... arguments) {
    if (ongoing.remove(kind)) {
      log.info(format, arguments);
    }
  }

  /** Whether the kind of trouble is going on. */
  boolean isOngoing(String kind) {
    return ongoing.contains(kind);
  }
}
