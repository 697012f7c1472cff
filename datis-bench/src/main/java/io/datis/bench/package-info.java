/**
 * Datis's throughput, latency and memory benchmarks: {@link io.datis.bench.Bench} runs them on an
 * embedded PostgreSQL, each scenario in a JVM of its own. Not published, not API.
 */
@NullMarked
package io.datis.bench;

import org.jspecify.annotations.NullMarked;
