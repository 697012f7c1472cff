package io.datis.internal;

import io.datis.api.event.Interval;
import io.datis.api.event.Json;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Locale;
import java.util.UUID;
import org.postgresql.geometric.PGbox;
import org.postgresql.geometric.PGcircle;
import org.postgresql.geometric.PGline;
import org.postgresql.geometric.PGlseg;
import org.postgresql.geometric.PGpath;
import org.postgresql.geometric.PGpoint;
import org.postgresql.geometric.PGpolygon;
import org.postgresql.util.HStoreConverter;
import org.postgresql.util.PGInterval;
import org.postgresql.util.PGobject;

/**
 * Values in PostgreSQL's text form (as its output functions write them, with {@code DateStyle
 * ISO}), turned into the Java values the README documents. Used where Datis reads PostgreSQL's text
 * itself: the elements of arrays, and numerics, which Debezium cannot hold when they are NaN or
 * infinite.
 */
final class PgText {

  /** How a type's text turns into a Java value. */
  enum Kind {
    INT2,
    INT4,
    INT8,
    FLOAT4,
    FLOAT8,
    NUMERIC,
    BOOL,
    UUID,
    JSON,
    BYTEA,
    DATE,
    TIME,
    TIMETZ,
    TIMESTAMP,
    TIMESTAMPTZ,
    INTERVAL,
    MONEY,
    HSTORE,
    /**
     * The geometric types: PostgreSQL's notation with each number written as Java writes a double,
     * as the JDBC driver's {@code PGpoint}, {@code PGbox}, ... do (Debezium reads scalars of these
     * types as those objects, so arrays are written the same way).
     */
    POINT,
    LINE,
    LSEG,
    BOX,
    PATH,
    POLYGON,
    CIRCLE,
    /** Everything else: the text itself (enums, composites, ranges, bits, ...). */
    TEXT;

    /** The kind of a (non-domain, non-array) type, by its name in {@code pg_type}. */
    static Kind ofType(String typeName) {
      switch (typeName) {
        case "int2":
          return INT2;
        case "int4":
          return INT4;
        case "int8":
        case "oid":
          return INT8;
        case "float4":
          return FLOAT4;
        case "float8":
          return FLOAT8;
        case "numeric":
          return NUMERIC;
        case "bool":
          return BOOL;
        case "uuid":
          return UUID;
        case "json":
        case "jsonb":
          return JSON;
        case "bytea":
          return BYTEA;
        case "date":
          return DATE;
        case "time":
          return TIME;
        case "timetz":
          return TIMETZ;
        case "timestamp":
          return TIMESTAMP;
        case "timestamptz":
          return TIMESTAMPTZ;
        case "interval":
          return INTERVAL;
        case "money":
          return MONEY;
        case "hstore":
          return HSTORE;
        case "point":
          return POINT;
        case "line":
          return LINE;
        case "lseg":
          return LSEG;
        case "box":
          return BOX;
        case "path":
          return PATH;
        case "polygon":
          return POLYGON;
        case "circle":
          return CIRCLE;
        default:
          return TEXT;
      }
    }
  }

  private static final DateTimeFormatter DATE =
      new DateTimeFormatterBuilder()
          .appendValue(ChronoField.YEAR_OF_ERA, 4, 9, java.time.format.SignStyle.NOT_NEGATIVE)
          .appendLiteral('-')
          .appendValue(ChronoField.MONTH_OF_YEAR, 2)
          .appendLiteral('-')
          .appendValue(ChronoField.DAY_OF_MONTH, 2)
          .toFormatter(Locale.ROOT);

  private static final DateTimeFormatter TIME =
      new DateTimeFormatterBuilder()
          .appendValue(ChronoField.HOUR_OF_DAY, 2)
          .appendLiteral(':')
          .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
          .appendLiteral(':')
          .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
          .toFormatter(Locale.ROOT);

  private PgText() {}

  /** The Java value of one value's text; never {@code null}. */
  static Object parse(Kind kind, String text) {
    switch (kind) {
      case INT2:
        return Short.valueOf(text);
      case INT4:
        return Integer.valueOf(text);
      case INT8:
        return Long.valueOf(text);
      case FLOAT4:
        return Float.valueOf(text);
      case FLOAT8:
        return Double.valueOf(text);
      case NUMERIC:
        return numeric(text);
      case BOOL:
        return "t".equals(text) || "true".equals(text);
      case UUID:
        return java.util.UUID.fromString(text);
      case JSON:
        return Json.of(text);
      case BYTEA:
        return bytea(text);
      case DATE:
        return date(text);
      case TIME:
        return time(text);
      case TIMETZ:
        return timeWithZone(text);
      case TIMESTAMP:
        return timestamp(text);
      case TIMESTAMPTZ:
        return timestampWithZone(text);
      case INTERVAL:
        return interval(text);
      case MONEY:
        return money(text);
      case HSTORE:
        return Collections.unmodifiableMap(HStoreConverter.fromString(text));
      case POINT:
      case LINE:
      case LSEG:
      case BOX:
      case PATH:
      case POLYGON:
      case CIRCLE:
        return geometric(kind, text);
      default:
        return text;
    }
  }

  private static String geometric(Kind kind, String text) {
    try {
      PGobject parsed;
      switch (kind) {
        case POINT:
          parsed = new PGpoint(text);
          break;
        case LINE:
          parsed = new PGline(text);
          break;
        case LSEG:
          parsed = new PGlseg(text);
          break;
        case BOX:
          parsed = new PGbox(text);
          break;
        case PATH:
          parsed = new PGpath(text);
          break;
        case POLYGON:
          parsed = new PGpolygon(text);
          break;
        default:
          parsed = new PGcircle(text);
          break;
      }
      String value = parsed.getValue();
      if (value == null) {
        throw new SQLException("no value");
      }
      return value;
    } catch (SQLException e) {
      // Not the driver's message: it quotes the value.
      throw new IllegalArgumentException(
          "Unexpected " + kind.name().toLowerCase(Locale.ROOT) + " text from PostgreSQL");
    }
  }

  /**
   * A numeric: a {@link BigDecimal}, or for the values it cannot hold a {@link Double}: {@code
   * NaN}, {@code Infinity} or {@code -Infinity}.
   */
  static Number numeric(String text) {
    switch (text) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        return new BigDecimal(text);
    }
  }

  private static byte[] bytea(String text) {
    if (!text.startsWith("\\x")) {
      throw new IllegalArgumentException(
          "bytea not in hex format (bytea_output = 'hex' is PostgreSQL's default)");
    }
    return HexFormat.of().parseHex(text, 2, text.length());
  }

  /**
   * A date; {@code infinity} and {@code -infinity} are {@link LocalDate#MAX} and {@link
   * LocalDate#MIN}.
   */
  static LocalDate date(String text) {
    switch (text) {
      case "infinity":
        return LocalDate.MAX;
      case "-infinity":
        return LocalDate.MIN;
      default:
        boolean bc = text.endsWith(" BC");
        LocalDate date =
            LocalDate.from(DATE.parse(bc ? text.substring(0, text.length() - 3) : text));
        return bc ? date.withYear(1 - date.getYear()) : date;
    }
  }

  /** A time; {@code 24:00:00}, which {@link LocalTime} cannot hold, is {@link LocalTime#MAX}. */
  static LocalTime time(String text) {
    if (text.startsWith("24:00:00")) {
      return LocalTime.MAX;
    }
    return LocalTime.from(TIME.parse(text));
  }

  private static OffsetTime timeWithZone(String text) {
    int sign = Math.max(text.lastIndexOf('+'), text.lastIndexOf('-'));
    LocalTime time = time(text.substring(0, sign));
    return OffsetTime.of(time, offset(text.substring(sign))).withOffsetSameInstant(ZoneOffset.UTC);
  }

  /**
   * A timestamp; {@code infinity} and {@code -infinity} are {@link LocalDateTime#MAX} and {@link
   * LocalDateTime#MIN}.
   */
  static LocalDateTime timestamp(String text) {
    switch (text) {
      case "infinity":
        return LocalDateTime.MAX;
      case "-infinity":
        return LocalDateTime.MIN;
      default:
        boolean bc = text.endsWith(" BC");
        String body = bc ? text.substring(0, text.length() - 3) : text;
        int space = body.indexOf(' ');
        LocalDate date = date(body.substring(0, space) + (bc ? " BC" : ""));
        return LocalDateTime.of(date, time(body.substring(space + 1)));
    }
  }

  private static Instant timestampWithZone(String text) {
    switch (text) {
      case "infinity":
        return Instant.MAX;
      case "-infinity":
        return Instant.MIN;
      default:
        boolean bc = text.endsWith(" BC");
        String body = bc ? text.substring(0, text.length() - 3) : text;
        int space = body.indexOf(' ');
        int sign = Math.max(body.lastIndexOf('+'), body.lastIndexOf('-'));
        LocalDate date = date(body.substring(0, space) + (bc ? " BC" : ""));
        LocalTime time = time(body.substring(space + 1, sign));
        return OffsetDateTime.of(date, time, offset(body.substring(sign))).toInstant();
    }
  }

  /** An offset as PostgreSQL writes it: {@code +02}, {@code -03:30}, {@code +00:53:28}. */
  private static ZoneOffset offset(String text) {
    String[] parts = text.substring(1).split(":");
    int seconds =
        Integer.parseInt(parts[0]) * 3600
            + (parts.length > 1 ? Integer.parseInt(parts[1]) * 60 : 0)
            + (parts.length > 2 ? Integer.parseInt(parts[2]) : 0);
    return ZoneOffset.ofTotalSeconds(text.charAt(0) == '-' ? -seconds : seconds);
  }

  /** An interval in any of PostgreSQL's interval styles. */
  static Interval interval(String text) {
    try {
      PGInterval interval = new PGInterval(text);
      long micros =
          ((interval.getHours() * 60L + interval.getMinutes()) * 60L + interval.getWholeSeconds())
                  * 1_000_000L
              + interval.getMicroSeconds();
      return Interval.of(
          interval.getYears() * 12 + interval.getMonths(), interval.getDays(), micros);
    } catch (SQLException e) {
      // Not the driver's message: it quotes the value.
      throw new IllegalArgumentException("Unexpected interval text from PostgreSQL");
    }
  }

  /**
   * Money, as PostgreSQL writes it under an {@code lc_monetary} with {@code .} as decimal point.
   */
  private static BigDecimal money(String text) {
    boolean negative = text.startsWith("-") || text.startsWith("(");
    StringBuilder digits = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c >= '0' && c <= '9') || c == '.') {
        digits.append(c);
      }
    }
    BigDecimal amount = new BigDecimal(digits.toString());
    return negative ? amount.negate() : amount;
  }
}
