/**
 * The root of Datis's public API: the exception hierarchy under {@link
 * io.datis.api.DatisException}. Sink and transform authors compile against this module ({@code
 * datis-api}) alone.
 */
@NullMarked
package io.datis.api;

import org.jspecify.annotations.NullMarked;
