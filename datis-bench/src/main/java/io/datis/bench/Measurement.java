package io.datis.bench;

/**
 * One drain run of one scenario. {@code eventsPerSecond} is {@code events / drainSeconds}, where
 * the drain runs from the first event the consumer sees to the last one it has done; {@code
 * firstEventMs} runs from the start of the consumer (connect, engine or pipeline start) to the
 * first event. {@code cpuMicrosPerEvent} is the consumer process's CPU time over the drain per
 * event; {@code serverCpuMicrosPerEvent} the Pub/Sub server's over the scenario JVM's whole run
 * (scenarios 4 and 5). Negative figures mean "not measured".
 */
record Measurement(
    String label,
    String scenario,
    int run,
    long events,
    double firstEventMs,
    double drainSeconds,
    double eventsPerSecond,
    double peakHeapMb,
    double peakRssMb,
    double cpuMicrosPerEvent,
    double serverCpuMicrosPerEvent,
    String note) {

  static Measurement skipped(Scenario scenario, int run, String why) {
    return new Measurement(
        scenario.label(), scenario.title(), run, 0, -1, -1, -1, -1, -1, -1, -1, why);
  }

  boolean measured() {
    return eventsPerSecond > 0;
  }

  /** This run with the Pub/Sub server's CPU per event and a note on what the server stored. */
  Measurement withServer(double serverCpuMicrosPerEvent, String note) {
    return new Measurement(
        label,
        scenario,
        run,
        events,
        firstEventMs,
        drainSeconds,
        eventsPerSecond,
        peakHeapMb,
        peakRssMb,
        cpuMicrosPerEvent,
        serverCpuMicrosPerEvent,
        note);
  }
}
