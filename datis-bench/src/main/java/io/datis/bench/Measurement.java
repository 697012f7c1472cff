package io.datis.bench;

/**
 * One drain run of one scenario. {@code eventsPerSecond} is {@code events / drainSeconds}, where
 * the drain runs from the first event the consumer sees to the last one it has done; {@code
 * firstEventMs} runs from the start of the consumer (connect, engine or pipeline start) to the
 * first event. Negative figures mean "not measured".
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
    String note) {

  static Measurement skipped(Scenario scenario, int run, String why) {
    return new Measurement(scenario.label(), scenario.title(), run, 0, -1, -1, -1, -1, -1, why);
  }

  boolean measured() {
    return eventsPerSecond > 0;
  }
}
