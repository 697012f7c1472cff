package io.datis.samples.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalDatisServiceTest {

  @Test
  void printsTheSnapshotReadAndTheChangesInOrderPerRow() throws Exception {
    ByteArrayOutputStream output = new ByteArrayOutputStream();

    int received = LocalDatisService.run(new PrintStream(output, true, StandardCharsets.UTF_8));

    assertThat(received).isEqualTo(LocalDatisService.EXPECTED_MESSAGES);
    List<String> lines = output.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).hasSize(1 + LocalDatisService.EXPECTED_MESSAGES);
    assertThat(lines.get(0)).isEqualTo("GET /actuator/health/readiness -> 200 UP");
    // Pub/Sub keeps the order of each ordering key, that is of each row.
    assertThat(lines.stream().filter(line -> line.contains(" key=public.orders:[1] {")))
        .satisfiesExactly(
            line -> assertThat(line).startsWith("SNAPSHOT_READ ").contains("\"item\":\"tea\""),
            line -> assertThat(line).startsWith("DELETE ").contains("\"after\":null"));
    assertThat(lines.stream().filter(line -> line.contains(" key=public.orders:[2] {")))
        .satisfiesExactly(
            line -> assertThat(line).startsWith("INSERT ").contains("\"status\":\"new\""),
            line -> assertThat(line).startsWith("UPDATE ").contains("\"status\":\"paid\""));
  }
}
