package io.datis.bench;

/**
 * Commit-to-acknowledgement latencies of one latency-mode scenario: from the transaction's commit
 * time in PostgreSQL ({@code ChangeEvent.commitTime()}) to the completion of the sink's stage.
 */
record LatencyResult(
    String label,
    String scenario,
    long events,
    double p50Ms,
    double p99Ms,
    double p999Ms,
    double maxMs,
    double meanMs,
    double peakHeapMb,
    double peakRssMb) {}
