package io.datis.api.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OperationTest {

  @Test
  void eachOperationHasDebeziumsOpCode() {
    assertThat(Operation.INSERT.debeziumCode()).isEqualTo("c");
    assertThat(Operation.UPDATE.debeziumCode()).isEqualTo("u");
    assertThat(Operation.DELETE.debeziumCode()).isEqualTo("d");
    assertThat(Operation.TRUNCATE.debeziumCode()).isEqualTo("t");
    assertThat(Operation.SNAPSHOT_READ.debeziumCode()).isEqualTo("r");
  }

  @Test
  void everyOpCodeReadsBackAsItsOperation() {
    for (Operation operation : Operation.values()) {
      assertThat(Operation.fromDebeziumCode(operation.debeziumCode())).isEqualTo(operation);
    }
  }

  @Test
  void anUnknownOpCodeIsRejectedNamingTheKnownOnes() {
    assertThatThrownBy(() -> Operation.fromDebeziumCode("x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Unknown Debezium operation 'x', expected c, u, d, t or r");
  }
}
