package io.datis.testkit.internal;

import io.datis.postgres.PostgresSource;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ContainerServer} behind a {@code DatisPostgres}. Its coordinates are known once the
 * container runs; it takes the settings of an embedded server except the port, since Docker maps
 * its port to a free one. Create it only after {@link ContainerServer#testcontainersPresent()} said
 * yes.
 *
 * <p>Not supported API: used by {@code DatisPostgres} only.
 */
public final class ContainerFixtureServer extends FixtureServer {

  private final ContainerServer container;

  /** A server from this image, not started. */
  public ContainerFixtureServer(String image) {
    this.container = new ContainerServer(image);
  }

  @Override
  public void start() {
    container.start(effectiveSettings());
  }

  @Override
  public void stop(String call) {
    throw new UnsupportedOperationException(
        call
            + " needs an embedded server; a Testcontainers server gets a new port when started"
            + " again. Use DatisPostgres.embedded() for tests that stop or restart PostgreSQL");
  }

  @Override
  public boolean isRunning() {
    return container.isRunning();
  }

  @Override
  public void close() {
    container.close();
  }

  @Override
  public void addSetting(String key, String value) {
    if (key.equals("port")) {
      throw new IllegalStateException(
          "withSetting(\"port\", ...) does not apply to a container: Docker maps its port 5432"
              + " to a free port, which port() returns");
    }
    super.addSetting(key, value);
  }

  @Override
  public PostgresSource source(String call, NotStarted notStarted) {
    if (!container.isRunning()) {
      throw notStarted.exception(call);
    }
    return container.source();
  }

  @Override
  public String describe(@Nullable String testDatabase) {
    String where = "container " + container.image();
    if (!container.isRunning()) {
      return describe(where + " <not started>", testDatabase, null);
    }
    PostgresSource running = container.source();
    return describe(
        where + " at " + running.host() + ":" + running.port(), testDatabase, running.user());
  }
}
