package io.datis.pubsub.internal;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;

/**
 * What an encoder needs to know besides the event: the pipeline's name, the captured database's
 * name, the clock for encoding timestamps and the version reported in Debezium-style {@code source}
 * blocks. Immutable; create it once per sink.
 */
public final class EncodingContext {

  /**
   * The Debezium version Datis embeds, reported as {@code source.version} by the Debezium format.
   */
  public static final String DEFAULT_CONNECTOR_VERSION = "3.6.1.Final";

  private final String pipelineName;
  private final String databaseName;
  private final Clock clock;
  private final String connectorVersion;
  private final String cloudEventsSource;

  private EncodingContext(
      String pipelineName, String databaseName, Clock clock, String connectorVersion) {
    this.pipelineName = pipelineName;
    this.databaseName = databaseName;
    this.clock = clock;
    this.connectorVersion = connectorVersion;
    this.cloudEventsSource =
        "/datis/" + encodePathSegment(pipelineName) + '/' + encodePathSegment(databaseName);
  }

  /** A context for the given pipeline and database, with the system clock. */
  public static EncodingContext of(String pipelineName, String databaseName) {
    return new EncodingContext(
        Objects.requireNonNull(pipelineName, "pipelineName"),
        Objects.requireNonNull(databaseName, "databaseName"),
        Clock.systemUTC(),
        DEFAULT_CONNECTOR_VERSION);
  }

  /** A copy that reads encoding times from the given clock (for tests). */
  public EncodingContext withClock(Clock clock) {
    return new EncodingContext(
        pipelineName, databaseName, Objects.requireNonNull(clock, "clock"), connectorVersion);
  }

  /** A copy that reports the given version as the Debezium format's {@code source.version}. */
  public EncodingContext withConnectorVersion(String connectorVersion) {
    return new EncodingContext(
        pipelineName,
        databaseName,
        clock,
        Objects.requireNonNull(connectorVersion, "connectorVersion"));
  }

  /** The pipeline's name. */
  public String pipelineName() {
    return pipelineName;
  }

  /** The captured database's name. */
  public String databaseName() {
    return databaseName;
  }

  /** The clock that encoding times (the Debezium format's top-level {@code ts_ms}) come from. */
  public Clock clock() {
    return clock;
  }

  /** The Debezium format's {@code source.version}. */
  public String connectorVersion() {
    return connectorVersion;
  }

  /**
   * The CloudEvents {@code source}: {@code /datis/{pipeline}/{database}}, each name percent-encoded
   * where it holds characters outside {@code A-Z a-z 0-9 - . _ ~}.
   */
  public String cloudEventsSource() {
    return cloudEventsSource;
  }

  @Override
  public String toString() {
    return "EncodingContext[pipeline=" + pipelineName + ", database=" + databaseName + "]";
  }

  private static String encodePathSegment(String name) {
    StringBuilder encoded = new StringBuilder(name.length());
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xFF;
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        encoded.append((char) c);
      } else {
        encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        encoded.append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return encoded.toString();
  }
}
