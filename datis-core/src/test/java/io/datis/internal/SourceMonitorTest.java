package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SourceMonitorTest {

  @Test
  void writesSizesAsPostgresDoes() {
    assertThat(SourceMonitor.pretty(0)).isEqualTo("0 bytes");
    assertThat(SourceMonitor.pretty(1023)).isEqualTo("1023 bytes");
    assertThat(SourceMonitor.pretty(1024)).isEqualTo("1.0 kB");
    assertThat(SourceMonitor.pretty(5L * 1024 * 1024 + 512 * 1024)).isEqualTo("5.5 MB");
    assertThat(SourceMonitor.pretty((long) (2.1 * (1L << 30)))).isEqualTo("2.1 GB");
  }
}
