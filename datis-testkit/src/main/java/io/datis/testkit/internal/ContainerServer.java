package io.datis.testkit.internal;

import io.datis.postgres.PostgresSource;
import io.datis.testkit.DatisPostgres.FixtureException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A PostgreSQL server in a Docker container, started through Testcontainers, which the user adds to
 * their test classpath ({@code org.testcontainers:testcontainers-postgresql}); the testkit only
 * declares it as optional. Only touch this class after {@link #testcontainersPresent()} said yes,
 * otherwise loading it fails with {@link NoClassDefFoundError}.
 *
 * <p>Not supported API: used by {@link ContainerFixtureServer} and {@code DatisPostgres} only.
 */
public final class ContainerServer {

  /** The image used when the user names none. */
  public static final String DEFAULT_IMAGE = "postgres:17-alpine";

  private static final String CONTAINER_CLASS = "org.testcontainers.postgresql.PostgreSQLContainer";

  private final String image;
  private @Nullable PostgreSQLContainer container;

  /** A server from this image, not started. */
  public ContainerServer(String image) {
    this.image = image;
  }

  /** Whether Testcontainers' PostgreSQL module is on the classpath. */
  public static boolean testcontainersPresent() {
    try {
      Class.forName(CONTAINER_CLASS, false, ContainerServer.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * Whether Testcontainers finds a Docker engine; call only when {@link #testcontainersPresent()}.
   */
  public static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  /**
   * The {@code postgres} command line for these settings: each becomes {@code -c name=value}. Only
   * the settings that make sense inside a container are kept (the embedded server's listen address
   * and socket directory are not).
   */
  public static List<String> command(Map<String, String> settings) {
    List<String> command = new ArrayList<>();
    command.add("postgres");
    settings.forEach(
        (name, value) -> {
          if (!name.equals("listen_addresses") && !name.equals("unix_socket_directories")) {
            command.add("-c");
            command.add(name + "=" + value);
          }
        });
    return List.copyOf(command);
  }

  /** The container for these settings, configured but not started. */
  public PostgreSQLContainer configure(Map<String, String> settings) {
    PostgreSQLContainer configured = new PostgreSQLContainer(image);
    configured.withCommand(command(settings).toArray(String[]::new));
    return configured;
  }

  /** Starts the container, or does nothing if it runs. */
  public synchronized void start(Map<String, String> settings) {
    if (container != null && container.isRunning()) {
      return;
    }
    PostgreSQLContainer starting = configure(settings);
    try {
      starting.start();
    } catch (RuntimeException e) {
      starting.stop();
      throw new FixtureException(
          "Testcontainers could not start PostgreSQL from the image "
              + image
              + ": "
              + e.getMessage()
              + ". Check that Docker runs and can pull the image, or use DatisPostgres.embedded(),"
              + " which needs no Docker.",
          e);
    }
    container = starting;
  }

  /** Whether the container runs. */
  public synchronized boolean isRunning() {
    return container != null && container.isRunning();
  }

  /** Stops and removes the container. Idempotent. */
  public synchronized void close() {
    if (container != null) {
      container.stop();
      container = null;
    }
  }

  /** The source for the running container's database. */
  public synchronized PostgresSource source() {
    PostgreSQLContainer running = container;
    if (running == null) {
      throw new IllegalStateException("the container of " + image + " is not running");
    }
    return PostgresSource.builder()
        .host(running.getHost())
        .port(running.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT))
        .database(running.getDatabaseName())
        .user(running.getUsername())
        .password(running.getPassword())
        .build();
  }

  /** The image this server runs. */
  public String image() {
    return image;
  }
}
