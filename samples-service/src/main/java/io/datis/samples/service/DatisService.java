package io.datis.samples.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The Datis service: one pipeline from PostgreSQL to Google Cloud Pub/Sub, with health probes and
 * Prometheus metrics, configured by {@code application.yml} and environment variables only ({@code
 * DATIS_TABLES}, {@code PUBSUB_PROJECT}, {@code PUBSUB_TOPIC}, {@code PGHOST}, ...; the README
 * lists them). It has no code of its own: {@code datis-spring-boot-starter} builds, starts and
 * stops the pipeline, and Actuator serves {@code /actuator/health} and {@code
 * /actuator/prometheus}.
 */
@SpringBootApplication
public class DatisService {

  /** Runs the service until it is stopped (SIGTERM) or its pipeline fails. */
  public static void main(String[] args) {
    SpringApplication.run(DatisService.class, args);
  }
}
