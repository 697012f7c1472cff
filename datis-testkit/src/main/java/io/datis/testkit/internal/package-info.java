/**
 * Implementation of the testkit: the servers behind {@code DatisPostgres} (embedded, in a
 * container, or existing), finding and extracting the PostgreSQL binaries, running them (as an
 * unprivileged user when the JVM is root), per-test databases, and cleaning up after killed JVMs;
 * the listening, forwarding and faults behind {@code TcpProxy}; and helpers of the assertions, the
 * sink compatibility kit and the event generators. Internal: these types are not API, are
 * unsupported, and may change or disappear in any release without notice.
 */
@NullMarked
package io.datis.testkit.internal;

import org.jspecify.annotations.NullMarked;
