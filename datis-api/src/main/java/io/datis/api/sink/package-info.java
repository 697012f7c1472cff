/**
 * Where change events go: the {@link io.datis.api.sink.Sink} service-provider interface that the
 * Pub/Sub sink and users' own sinks implement.
 */
@NullMarked
package io.datis.api.sink;

import org.jspecify.annotations.NullMarked;
