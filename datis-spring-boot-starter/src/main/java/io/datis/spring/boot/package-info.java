/**
 * Spring Boot auto-configuration for Datis: a {@link io.datis.postgres.PostgresSource} and the
 * pipelines of {@code datis.pipelines.*} ({@link io.datis.spring.boot.DatisProperties}), started
 * and stopped with the application context ({@link io.datis.spring.boot.DatisPipelines}), with a
 * health contributor per pipeline and Datis's meters in the application's {@code MeterRegistry}.
 * Declare a bean of your own to replace one of Datis's, and {@link
 * io.datis.spring.boot.DatisPipelineCustomizer} beans to set what properties cannot.
 */
@NullMarked
package io.datis.spring.boot;

import org.jspecify.annotations.NullMarked;
