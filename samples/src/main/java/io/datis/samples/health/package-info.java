/**
 * Sample: a pipeline's health and Prometheus metrics over HTTP, for Kubernetes probes and
 * Prometheus scrapes. {@link io.datis.samples.health.HealthAndMetricsServer} is the part to copy
 * into an application; {@link io.datis.samples.health.HealthSample} runs it against an embedded
 * PostgreSQL.
 */
@NullMarked
package io.datis.samples.health;

import org.jspecify.annotations.NullMarked;
