package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SlotMonitorTest {

  @Test
  void writesSizesAsPostgresDoes() {
    assertThat(SlotMonitor.pretty(0)).isEqualTo("0 bytes");
    assertThat(SlotMonitor.pretty(1023)).isEqualTo("1023 bytes");
    assertThat(SlotMonitor.pretty(1024)).isEqualTo("1.0 kB");
    assertThat(SlotMonitor.pretty(5L * 1024 * 1024 + 512 * 1024)).isEqualTo("5.5 MB");
    assertThat(SlotMonitor.pretty((long) (2.1 * (1L << 30)))).isEqualTo("2.1 GB");
  }
}
