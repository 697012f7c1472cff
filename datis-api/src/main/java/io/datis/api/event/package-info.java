/**
 * The change events that flow through a pipeline: {@link io.datis.api.event.ChangeEvent} and the
 * value types it is made of. Everything here is immutable.
 */
@NullMarked
package io.datis.api.event;

import org.jspecify.annotations.NullMarked;
