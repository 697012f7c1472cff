/** Datis's own access to {@link io.datis.postgres.PostgresSource}; not API. */
@NullMarked
package io.datis.postgres.internal;

import org.jspecify.annotations.NullMarked;
