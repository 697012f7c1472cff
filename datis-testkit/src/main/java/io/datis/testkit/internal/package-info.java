/**
 * Implementation of the testkit: finding and extracting the PostgreSQL binaries, running them (as
 * an unprivileged user when the JVM is root), and cleaning up after killed JVMs. Internal: these
 * types are not API, are unsupported, and may change or disappear in any release without notice.
 */
@NullMarked
package io.datis.testkit.internal;

import org.jspecify.annotations.NullMarked;
