/**
 * The Datis service: a runnable Spring Boot application around {@code datis-spring-boot-starter},
 * configured by environment variables, for a container image. {@code LocalDatisService} (in the
 * tests) runs it on an embedded PostgreSQL and a local Pub/Sub server.
 */
@NullMarked
package io.datis.samples.service;

import org.jspecify.annotations.NullMarked;
