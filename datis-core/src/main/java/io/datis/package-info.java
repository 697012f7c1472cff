/**
 * The entry point: {@link io.datis.Datis#capture(io.datis.postgres.PostgresSource)} builds a {@link
 * io.datis.Pipeline} that captures PostgreSQL changes, transforms them and delivers them to a sink.
 */
@NullMarked
package io.datis;

import org.jspecify.annotations.NullMarked;
