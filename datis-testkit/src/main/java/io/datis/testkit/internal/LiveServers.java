package io.datis.testkit.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded servers of this JVM that have files on disk, and the one shutdown hook that stops
 * them and deletes their files when the JVM exits without closing them (a failed or interrupted
 * test run, a {@code main} program without try-with-resources).
 */
final class LiveServers {

  private static final Set<EmbeddedServer> SERVERS = ConcurrentHashMap.newKeySet();

  private static boolean hookInstalled;

  private LiveServers() {}

  static synchronized void register(EmbeddedServer server) {
    SERVERS.add(server);
    if (!hookInstalled) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(LiveServers::closeAll, "datis-postgres-shutdown"));
      hookInstalled = true;
    }
  }

  static void unregister(EmbeddedServer server) {
    SERVERS.remove(server);
  }

  private static void closeAll() {
    List<Thread> closers = new ArrayList<>();
    for (EmbeddedServer server : SERVERS) {
      Thread closer =
          new Thread(server::closeOnShutdown, "datis-postgres-shutdown-" + server.port());
      closer.start();
      closers.add(closer);
    }
    for (Thread closer : closers) {
      try {
        closer.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
