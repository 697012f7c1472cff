/**
 * Where changes come from: {@link io.datis.postgres.PostgresSource} describes the PostgreSQL
 * database, replication slot and publication that a pipeline captures from.
 */
@NullMarked
package io.datis.postgres;

import org.jspecify.annotations.NullMarked;
