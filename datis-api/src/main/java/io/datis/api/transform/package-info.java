/**
 * Transforms change events between capture and delivery: {@link io.datis.api.transform.Transform}
 * is the extension point, {@link io.datis.api.transform.Transforms} offers the common ones.
 */
@NullMarked
package io.datis.api.transform;

import org.jspecify.annotations.NullMarked;
