package io.datis.bench;

/**
 * Commit-to-acknowledgement latencies of one latency-mode scenario: from the transaction's commit
 * time in PostgreSQL ({@code ChangeEvent.commitTime()}) to the completion of the sink's stage. The
 * percentiles leave out the events of the first {@code warmupSeconds}; {@code p99AllMs} and {@code
 * maxAllMs} include them.
 */
record LatencyResult(
    String label,
    String scenario,
    long events,
    int warmupSeconds,
    double p50Ms,
    double p99Ms,
    double p999Ms,
    double maxMs,
    double meanMs,
    double p99AllMs,
    double maxAllMs,
    double peakHeapMb,
    double peakRssMb) {}
