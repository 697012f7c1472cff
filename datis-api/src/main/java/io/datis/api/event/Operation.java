package io.datis.api.event;

/** What happened to a row. */
public enum Operation {
  /** A row was inserted; the event has an {@code after} image only. */
  INSERT("c"),
  /**
   * A row was updated; the event has an {@code after} image, and a {@code before} image when the
   * table's replica identity provides one.
   */
  UPDATE("u"),
  /**
   * A row was deleted; the event has a {@code before} image only (key columns only under replica
   * identity DEFAULT).
   */
  DELETE("d"),
  /** The table was truncated; the event has neither image. */
  TRUNCATE("t"),
  /** A row read by the initial snapshot; the event has an {@code after} image only. */
  SNAPSHOT_READ("r");

  private final String debeziumCode;

  Operation(String debeziumCode) {
    this.debeziumCode = debeziumCode;
  }

  /**
   * The {@code op} code of Debezium's envelope for this operation: {@code c}, {@code u}, {@code d},
   * {@code t} or {@code r}.
   */
  public String debeziumCode() {
    return debeziumCode;
  }

  /**
   * The operation of a Debezium {@code op} code, as in {@code Operation.fromDebeziumCode("u")}.
   *
   * @throws IllegalArgumentException if the code is none of {@code c}, {@code u}, {@code d}, {@code
   *     t}, {@code r}
   */
  public static Operation fromDebeziumCode(String code) {
    for (Operation operation : values()) {
      if (operation.debeziumCode.equals(code)) {
        return operation;
      }
    }
    throw new IllegalArgumentException(
        "Unknown Debezium operation '" + code + "', expected c, u, d, t or r");
  }
}
