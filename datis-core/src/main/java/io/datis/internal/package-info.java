/**
 * Datis's implementation: the Debezium bridge, record conversion, transform chain and offset
 * commits. Not API: anything here may change in any release without notice. Do not use it from your
 * code.
 */
@NullMarked
package io.datis.internal;

import org.jspecify.annotations.NullMarked;
