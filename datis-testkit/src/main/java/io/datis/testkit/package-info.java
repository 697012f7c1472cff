/**
 * Test support for Datis users and for Datis itself: {@link io.datis.testkit.DatisPostgres} runs a
 * real PostgreSQL server with logical replication enabled, without Docker, as a JUnit 5 extension
 * or from plain code. Everything in this package is public API; {@code io.datis.testkit.internal}
 * is not.
 */
@NullMarked
package io.datis.testkit;

import org.jspecify.annotations.NullMarked;
