/**
 * The starter's implementation: building sources, sinks and pipelines from the properties, the
 * health indicators, the startup checks and their failure analysis. Not API: anything here may
 * change in any release.
 */
@NullMarked
package io.datis.spring.boot.internal;

import org.jspecify.annotations.NullMarked;
