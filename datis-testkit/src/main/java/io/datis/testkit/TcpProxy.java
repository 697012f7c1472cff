package io.datis.testkit;

import io.datis.testkit.internal.ForwardedConnection;
import io.datis.testkit.internal.ProxyFaults;
import io.datis.testkit.internal.ProxyListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP forwarder for tests: put it between a client (a Datis pipeline, a JDBC connection, a
 * PostgreSQL replication connection) and a server to simulate what networks and failovers do to
 * them: a name that moves to a new primary ({@link #target}), connections reset at once ({@link
 * #dropConnections()}), a server that is down ({@link #refuse}), a silent partition ({@link
 * #blackhole}) and latency ({@link #delay}).
 *
 * <p>In a JUnit 5 test class, register it on a static field: it starts before the first test and is
 * closed after the last one. When the server starts in the same class, as a {@link DatisPostgres}
 * does, create the proxy without a target and set it once the server runs:
 *
 * <pre>{@code
 * class FailoverTest {
 *   @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded();
 *   @RegisterExtension static TcpProxy proxy = TcpProxy.create();
 *
 *   @BeforeAll
 *   static void pointTheProxyAtPostgres() {
 *     proxy.target(pg.host(), pg.port());
 *   }
 *
 *   @Test
 *   void resumesAfterTheConnectionsAreReset() {
 *     PostgresSource source =
 *         pg.source().toBuilder().host(proxy.host()).port(proxy.port()).build();
 *     // ... start a pipeline on source, then:
 *     proxy.dropConnections();      // every connection is reset, both sides
 *     proxy.blackhole(true);        // bytes stop, sockets stay open: only timeouts notice
 *     proxy.blackhole(false);
 *     proxy.refuse(true);           // connecting fails with "connection refused"
 *     proxy.target(newPrimaryHost, newPrimaryPort); // new connections go there
 *   }
 * }
 * }</pre>
 *
 * <p>Elsewhere, use try-with-resources:
 *
 * <pre>{@code
 * try (TcpProxy proxy = TcpProxy.to("127.0.0.1", 5432).start()) {
 *   String url = "jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/postgres";
 *   // ...
 * }
 * }</pre>
 *
 * <p><b>Forwarding.</b> The proxy listens on {@code 127.0.0.1}, on a free port. For each accepted
 * connection it connects to the target of that moment (resolving its host name then) and copies
 * bytes both ways unchanged, in chunks of up to 64 KiB, on two daemon threads named {@code
 * datis-tcp-proxy-<port>-<n>-to-server} and {@code -to-client}, with {@code TCP_NODELAY} on every
 * socket: any protocol passes, including PostgreSQL's COPY streams of logical replication, at the
 * speed of the loopback interface. When one side closes its connection, the proxy passes the close
 * on and ends the connection once both sides have closed; when one side resets it, or the target
 * cannot be reached within 10 s, the proxy resets the other side. A connection accepted while no
 * target is set is reset at once.
 *
 * <p><b>Faults</b> can be turned on and off at any time, also before {@link #start()}, and stay on
 * until turned off or {@link #reset()}; they apply to open and new connections alike, except {@link
 * #refuse}, which applies to new ones only. All methods are thread-safe.
 */
public final class TcpProxy implements BeforeAllCallback, AfterAllCallback, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);

  private final ProxyFaults faults = new ProxyFaults();
  private final Set<ForwardedConnection> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong opened = new AtomicLong();
  private final AtomicBoolean warnedOfTarget = new AtomicBoolean();
  private final ForwardedConnection.Events events = new Events();
  private volatile @Nullable Target target;
  private volatile boolean refusing;
  private volatile @Nullable ProxyListener listener;
  private @Nullable String startedBy;

  private TcpProxy() {}

  /**
   * A proxy to {@code host:port}. Nothing listens until {@link #start()} (or the first test, when
   * registered as an extension).
   *
   * @param host a host name or IP address, resolved for each new connection
   * @param port a TCP port, from 1 to 65535
   * @throws IllegalArgumentException if the host is blank or the port out of range
   */
  public static TcpProxy to(String host, int port) {
    return new TcpProxy().target(host, port);
  }

  /**
   * A proxy without a target yet, for a server that starts later, such as a {@link DatisPostgres}
   * registered in the same test class; set it with {@link #target}. Until then, the proxy resets
   * every connection it accepts.
   */
  public static TcpProxy create() {
    return new TcpProxy();
  }

  /**
   * Sends new connections to {@code host:port}, as when a DNS name or a virtual IP moves to a new
   * primary after a failover. Open connections stay with their server until they close or are
   * {@linkplain #dropConnections() dropped}.
   *
   * @param host a host name or IP address, resolved for each new connection
   * @param port a TCP port, from 1 to 65535
   * @return this
   * @throws IllegalArgumentException if the host is blank or the port out of range
   */
  public TcpProxy target(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new IllegalArgumentException("TcpProxy target host must not be blank");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException(
          "TcpProxy target port must be from 1 to 65535, but was " + port);
    }
    target = new Target(host.strip(), port);
    return this;
  }

  /**
   * Starts listening on a free port of {@code 127.0.0.1}; does nothing if already listening. After
   * {@link #close()}, a start listens on a new port.
   *
   * @return this, to write {@code TcpProxy.to(host, port).start()}
   * @throws UncheckedIOException if no port can be bound
   */
  public synchronized TcpProxy start() {
    if (listener != null) {
      return this;
    }
    try {
      ProxyListener started = ProxyListener.open(refusing, this::accepted);
      listener = started;
      LOG.debug("{} started", this);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "TcpProxy could not listen on a free port of " + ProxyListener.HOST + ": " + e, e);
    }
    return this;
  }

  /** The address the proxy listens on: always {@code 127.0.0.1}. */
  public String host() {
    return ProxyListener.HOST;
  }

  /**
   * The port the proxy listens on, chosen by {@link #start()}; it stays the same while refusing.
   *
   * @throws IllegalStateException if the proxy is not started
   */
  public synchronized int port() {
    ProxyListener started = listener;
    if (started == null) {
      throw new IllegalStateException(
          "TcpProxy.port() needs a started proxy, but "
              + this
              + " is not started: call start(), or register it with @RegisterExtension on a"
              + " static field");
    }
    return started.port();
  }

  /** Whether the proxy is started and not closed. */
  public synchronized boolean isRunning() {
    return listener != null;
  }

  /**
   * Resets every open connection at once, on both sides, as when a server dies or a failover cuts
   * connections: the client's next read or write fails (PgJDBC: "An I/O error occurred while
   * sending to the backend", SQL state {@code 08006}), and the server sees its client go away. New
   * connections are forwarded as before.
   *
   * @return how many connections were dropped
   */
  public int dropConnections() {
    int dropped = 0;
    for (ForwardedConnection connection : List.copyOf(open)) {
      if (connection.reset()) {
        dropped++;
      }
    }
    return dropped;
  }

  /**
   * Turns refusing new connections on or off. While on, nothing listens on the proxy's port, but
   * the proxy keeps the port: a client that connects gets "connection refused" at once, as from a
   * host where PostgreSQL is not running (PgJDBC: {@code "Connection to 127.0.0.1:<port> refused"},
   * SQL state {@code 08001}). Open connections are not affected; {@link #dropConnections()} ends
   * them. When turned off, the proxy listens again on the same port.
   *
   * @return this
   * @throws IllegalStateException if the proxy could not keep its port or listen on it again, which
   *     only happens if another program bound it explicitly meanwhile
   */
  public synchronized TcpProxy refuse(boolean on) {
    refusing = on;
    ProxyListener started = listener;
    if (started != null) {
      try {
        started.refuse(on);
      } catch (IOException e) {
        throw new IllegalStateException(
            (on
                    ? "TcpProxy stopped listening on port "
                        + started.port()
                        + " but could not keep it"
                    : "TcpProxy could not listen on port " + started.port() + " again")
                + ": "
                + e
                + "; another program bound that port meanwhile",
            e);
      }
    }
    return this;
  }

  /**
   * Turns a silent partition on or off. While on, no byte is forwarded, in either direction, and
   * every connection stays open: a client notices only through its timeouts (such as PgJDBC's
   * {@code socketTimeout}), and a server only through its own ({@code wal_sender_timeout}, TCP
   * keepalives). New connections are accepted, but not connected to the target before the partition
   * ends. When turned off, bytes held are forwarded and forwarding resumes.
   *
   * @return this
   */
  public TcpProxy blackhole(boolean on) {
    faults.blackhole(on);
    return this;
  }

  /**
   * Adds latency: every chunk of bytes read from one side is written to the other only {@code
   * delay} after it was read, in both directions, so a query's round trip takes at least twice the
   * delay longer. Chunks of one direction are held one after another, so a bulk stream slows down
   * too, to at most 64 KiB per delay. {@link Duration#ZERO} turns it off.
   *
   * @return this
   * @throws IllegalArgumentException if the delay is negative
   */
  public TcpProxy delay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("TcpProxy delay must not be negative, but was " + delay);
    }
    faults.delay(delay);
    return this;
  }

  /**
   * Turns every fault off: refusing, the blackhole and the delay. The target and open connections
   * are kept. Handy in an {@code @AfterEach} method, so that one test's faults do not leak into the
   * next.
   *
   * @return this
   */
  public TcpProxy reset() {
    refuse(false);
    blackhole(false);
    delay(Duration.ZERO);
    return this;
  }

  /** How many connections are open now: accepted and not yet closed on both sides. */
  public int connections() {
    return open.size();
  }

  /**
   * How many connections the proxy accepted since it was created, whether they were forwarded or
   * not.
   */
  public long connectionsOpened() {
    return opened.get();
  }

  /**
   * Stops listening and resets every open connection, as {@link #dropConnections()} does.
   * Idempotent; {@link #start()} listens again, on a new port.
   */
  @Override
  public synchronized void close() {
    startedBy = null;
    ProxyListener started = listener;
    listener = null;
    if (started != null) {
      started.close();
      LOG.debug("TcpProxy on port {} closed", started.port());
    }
    dropConnections();
  }

  /**
   * Starts the proxy before the first test of the class that registers it; see {@link #start()}.
   */
  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    if (!isRunning()) {
      start();
      startedBy = context.getUniqueId();
    }
  }

  /**
   * Closes the proxy after the last test of the class that started it. Nested test classes, which
   * inherit the extension, leave it running for their enclosing class.
   */
  @Override
  public synchronized void afterAll(ExtensionContext context) {
    if (context.getUniqueId().equals(startedBy)) {
      close();
    }
  }

  /** Describes the proxy: its address, target, faults and connections. */
  @Override
  public String toString() {
    ProxyListener started = listener;
    Target to = target;
    Duration delay = faults.delay();
    return "TcpProxy{"
        + (started == null ? "not started" : ProxyListener.HOST + ":" + started.port())
        + " -> "
        + (to == null ? "no target" : to)
        + (refusing ? ", refusing" : "")
        + (faults.blackholed() ? ", blackhole" : "")
        + (delay.isZero() ? "" : ", delay " + delay)
        + ", "
        + open.size()
        + " connections open, "
        + opened.get()
        + " opened}";
  }

  /** Called on the accepting thread; takes no lock, so that closing and refusing never wait. */
  private void accepted(Socket client) {
    long number = opened.incrementAndGet();
    ProxyListener started = listener;
    Target to = target;
    if (started == null || to == null) {
      if (started != null) {
        warnOnce(
            "TcpProxy on port {} has no target and resets the connection: call target(host, port)"
                + " first",
            started.port(),
            null);
      }
      ForwardedConnection.resetQuietly(client);
      return;
    }
    ForwardedConnection connection =
        new ForwardedConnection(
            client,
            to.host(),
            to.port(),
            faults,
            events,
            "datis-tcp-proxy-" + started.port() + "-" + number);
    open.add(connection);
    if (listener != started) {
      // Closed meanwhile, perhaps after close() dropped the open connections: drop this one too.
      connection.reset();
      return;
    }
    connection.start();
  }

  private void warnOnce(String message, Object argument, @Nullable Throwable cause) {
    String text = cause == null ? message : message + ": {}";
    Object[] arguments =
        cause == null ? new Object[] {argument} : new Object[] {argument, cause.toString()};
    if (warnedOfTarget.compareAndSet(false, true)) {
      LOG.warn(text + " (logged once, later ones at DEBUG)", arguments);
    } else {
      LOG.debug(text, arguments);
    }
  }

  private record Target(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  private final class Events implements ForwardedConnection.Events {

    @Override
    public void closed(ForwardedConnection connection) {
      open.remove(connection);
      LOG.debug("{} closed", connection);
    }

    @Override
    public void targetUnreachable(ForwardedConnection connection, IOException cause) {
      warnOnce(
          "TcpProxy cannot reach its target " + connection.target() + "; it resets the client {}",
          connection,
          cause);
    }
  }
}
