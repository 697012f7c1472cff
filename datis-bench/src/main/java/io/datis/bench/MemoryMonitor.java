package io.datis.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Polls the heap in use every 10 ms and keeps the peak; reads the peak resident set size ({@code
 * VmHWM}) of a process from {@code /proc}.
 */
final class MemoryMonitor implements AutoCloseable {

  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final AtomicLong peakHeap = new AtomicLong();
  private final Thread poller;
  private volatile boolean running = true;

  private MemoryMonitor() {
    poller = new Thread(this::poll, "bench-memory-monitor");
    poller.setDaemon(true);
  }

  static MemoryMonitor start() {
    MemoryMonitor monitor = new MemoryMonitor();
    monitor.poller.start();
    return monitor;
  }

  private void poll() {
    while (running) {
      sample();
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void sample() {
    long used = memory.getHeapMemoryUsage().getUsed();
    peakHeap.accumulateAndGet(used, Math::max);
  }

  /** The highest heap use seen so far, in MiB. */
  double peakHeapMb() {
    sample();
    return peakHeap.get() / (1024.0 * 1024.0);
  }

  /** The peak resident set size of this JVM, in MiB, or -1 if unknown. */
  static double peakRssMb() {
    return peakRssMb(Path.of("/proc/self/status"));
  }

  /** The peak resident set size of the process, in MiB, or -1 if unknown (or it has exited). */
  static double peakRssMb(long pid) {
    return peakRssMb(Path.of("/proc/" + pid + "/status"));
  }

  private static double peakRssMb(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmHWM:")) {
          String kilobytes = line.substring("VmHWM:".length()).replace("kB", "").strip();
          return Long.parseLong(kilobytes) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  @Override
  public void close() {
    running = false;
    poller.interrupt();
  }
}
