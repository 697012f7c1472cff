package io.datis.samples.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PubSubQuickstartTest {

  @Test
  void publishesTheThreeChangesOfTheOrderInOrder() throws Exception {
    ByteArrayOutputStream output = new ByteArrayOutputStream();

    int received = PubSubQuickstart.run(new PrintStream(output, true, StandardCharsets.UTF_8));

    assertThat(received).isEqualTo(3);
    assertThat(output.toString(StandardCharsets.UTF_8).lines())
        .hasSize(3)
        .satisfiesExactly(
            line ->
                assertThat(line)
                    .startsWith("INSERT key=public.orders:[1] {")
                    .contains("\"status\":\"new\""),
            line ->
                assertThat(line)
                    .startsWith("UPDATE key=public.orders:[1] {")
                    .contains("\"status\":\"paid\""),
            line ->
                assertThat(line)
                    .startsWith("DELETE key=public.orders:[1] {")
                    .contains("\"after\":null"));
  }
}
