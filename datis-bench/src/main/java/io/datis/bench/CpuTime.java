package io.datis.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Reads the CPU time (user plus system, all threads) a process has consumed so far, in nanoseconds:
 * this JVM's from its {@code OperatingSystemMXBean}, another process's as the JDK reads it from
 * {@code utime + stime} in {@code /proc/<pid>/stat} (so in clock ticks, {@code getconf CLK_TCK},
 * normally 10 ms each). Negative means unknown.
 */
final class CpuTime {

  private CpuTime() {}

  /** This JVM's CPU time, or -1 if the platform does not tell. */
  static long thisProcessNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** The CPU time of the process, or -1 if unknown (it has exited, or the platform cannot tell). */
  static long processNanos(ProcessHandle process) {
    return process.info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
  }

  /**
   * The CPU time of the process and of its living descendants (for a launcher script that starts a
   * JVM rather than exec'ing it), or -1 if the process's own is unknown.
   */
  static long treeNanos(ProcessHandle process) {
    long own = processNanos(process);
    if (own < 0) {
      return -1;
    }
    return own + process.descendants().mapToLong(CpuTime::processNanos).filter(n -> n > 0).sum();
  }

  /**
   * Microseconds of CPU per event between two readings, or -1 if either is unknown or there were no
   * events.
   */
  static double microsPerEvent(long startNanos, long endNanos, long events) {
    if (startNanos < 0 || endNanos < 0 || events <= 0) {
      return -1;
    }
    return (endNanos - startNanos) / 1e3 / events;
  }
}
