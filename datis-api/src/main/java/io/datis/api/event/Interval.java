package io.datis.api.event;

import java.time.Duration;
import java.time.Period;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;

/**
 * A PostgreSQL {@code interval}: months, days and microseconds, kept apart exactly as PostgreSQL
 * stores them (a month is not a fixed number of days, nor a day a fixed number of hours across a
 * daylight saving change). Each part may be negative.
 */
public final class Interval {

  private static final long MICROS_PER_SECOND = 1_000_000L;

  private final int months;
  private final int days;
  private final long microseconds;

  private Interval(int months, int days, long microseconds) {
    this.months = months;
    this.days = days;
    this.microseconds = microseconds;
  }

  /** An interval of the given months, days and microseconds. */
  public static Interval of(int months, int days, long microseconds) {
    return new Interval(months, days, microseconds);
  }

  /** The months part (years count as 12 months). */
  public int months() {
    return months;
  }

  /** The days part. */
  public int days() {
    return days;
  }

  /** The time part, in microseconds. */
  public long microseconds() {
    return microseconds;
  }

  /** The months and days parts as a {@link Period}. */
  public Period toPeriod() {
    return Period.of(0, months, days).normalized();
  }

  /** The time part as a {@link Duration}. */
  public Duration toDuration() {
    return Duration.of(microseconds, ChronoUnit.MICROS);
  }

  /** ISO 8601, e.g. {@code P1Y2M3DT4H5M6.5S}; negative parts carry their sign. */
  @Override
  public String toString() {
    long micros = Math.abs(microseconds);
    String sign = microseconds < 0 ? "-" : "";
    long hours = micros / (3600 * MICROS_PER_SECOND);
    long minutes = micros / (60 * MICROS_PER_SECOND) % 60;
    long seconds = micros / MICROS_PER_SECOND % 60;
    long fraction = micros % MICROS_PER_SECOND;
    StringBuilder text = new StringBuilder("P");
    text.append(months / 12).append('Y').append(months % 12).append('M').append(days).append("DT");
    text.append(sign).append(hours).append('H').append(sign).append(minutes).append('M');
    text.append(sign).append(seconds);
    if (fraction != 0) {
      String digits = String.format("%06d", fraction);
      text.append('.').append(digits.replaceAll("0+$", ""));
    }
    return text.append('S').toString();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Interval
        && ((Interval) o).months == months
        && ((Interval) o).days == days
        && ((Interval) o).microseconds == microseconds;
  }

  @Override
  public int hashCode() {
    return (months * 31 + days) * 31 + Long.hashCode(microseconds);
  }
}
