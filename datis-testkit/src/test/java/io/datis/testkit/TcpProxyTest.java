package io.datis.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.datis.postgres.PostgresSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

class TcpProxyTest {

  private static final Duration PATIENCE = Duration.ofSeconds(60);

  // [tcp-proxy]
  @RegisterExtension static DatisPostgres pg = DatisPostgres.embedded();
  @RegisterExtension static TcpProxy proxy = TcpProxy.create();

  @BeforeAll
  static void pointTheProxyAtPostgres() {
    proxy.target(pg.host(), pg.port());
  }

  @AfterEach
  void healTheNetwork() {
    proxy.reset().target(pg.host(), pg.port());
    proxy.dropConnections();
  }

  // [tcp-proxy]

  @Test
  void forwardsQueriesAndLargeValuesBothWays() throws Exception {
    long openedBefore = proxy.connectionsOpened();

    try (Connection connection = connectThroughProxy()) {
      assertThat(queryInt(connection, "SELECT inet_server_port()")).isEqualTo(pg.port());
      assertThat(queryString(connection, "SELECT repeat('datis', 2000000)"))
          .hasSize(10_000_000)
          .startsWith("datisdatis")
          .endsWith("datisdatis");
      try (PreparedStatement statement = connection.prepareStatement("SELECT md5(?)")) {
        String sent = "0123456789".repeat(500_000);
        statement.setString(1, sent);
        try (ResultSet row = statement.executeQuery()) {
          assertThat(row.next()).isTrue();
          assertThat(row.getString(1)).isEqualTo(md5Direct(sent));
        }
      }
      assertThat(proxy.connections()).isEqualTo(1);
      assertThat(proxy.connectionsOpened()).isEqualTo(openedBefore + 1);
    }

    await().atMost(PATIENCE).until(() -> proxy.connections() == 0);
  }

  @Test
  void givesASourceThatReachesPostgresThroughTheProxy() throws Exception {
    PostgresSource source = pg.source().toBuilder().host(proxy.host()).port(proxy.port()).build();

    assertThat(source.jdbcUrl())
        .isEqualTo("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres");
    try (Connection connection =
        DriverManager.getConnection(source.jdbcUrl(), pg.user(), pg.password())) {
      assertThat(queryInt(connection, "SELECT inet_server_port()")).isEqualTo(pg.port());
    }
  }

  @Test
  void passesEveryByteUnchangedAtFullChunkSize() throws Exception {
    byte[] sent = new byte[16 * 1024 * 1024];
    new Random(42).nextBytes(sent);

    try (EchoServer echo = new EchoServer()) {
      proxy.target(echo.host(), echo.port());
      try (Socket throughProxy = connectRaw()) {
        CompletableFuture<Void> writing =
            CompletableFuture.runAsync(() -> writeAll(throughProxy, sent));
        byte[] received = readExactly(throughProxy, sent.length);
        writing.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

        assertThat(Arrays.equals(received, sent)).as("the echoed bytes equal those sent").isTrue();
      }
    }
  }

  @Test
  void sendsOnlyNewConnectionsToANewTarget() throws Exception {
    try (EchoServer echo = new EchoServer();
        Connection old = connectThroughProxy()) {
      proxy.target(echo.host(), echo.port());

      try (Socket fresh = connectRaw()) {
        writeAll(fresh, "hello".getBytes(UTF_8));
        assertThat(new String(readExactly(fresh, 5), UTF_8)).isEqualTo("hello");
      }
      assertThat(echo.accepted()).isEqualTo(1);
      assertThat(queryInt(old, "SELECT 42")).as("the old connection stays").isEqualTo(42);

      proxy.target(pg.host(), pg.port());
      try (Connection back = connectThroughProxy()) {
        assertThat(queryInt(back, "SELECT 1")).isEqualTo(1);
      }
      assertThat(echo.accepted()).isEqualTo(1);
    }
  }

  @Test
  void dropConnectionsResetsBothSides() throws Exception {
    try (Connection connection = connectThroughProxy("ApplicationName", "dropped_by_proxy")) {
      assertThat(queryInt(connection, "SELECT 1")).isEqualTo(1);

      assertThat(proxy.dropConnections()).isEqualTo(1);

      assertThat(proxy.connections()).isZero();
      assertThatThrownBy(() -> queryInt(connection, "SELECT 1"))
          .hasMessage("An I/O error occurred while sending to the backend.")
          .isInstanceOfSatisfying(
              SQLException.class, failure -> assertThat(failure.getSQLState()).isEqualTo("08006"));
    }
    await()
        .atMost(PATIENCE)
        .until(
            () ->
                pg.query(
                        "SELECT count(*) FROM pg_stat_activity"
                            + " WHERE application_name = 'dropped_by_proxy'",
                        row -> row.getInt(1))
                    .equals(List.of(0)));
    try (Connection again = connectThroughProxy()) {
      assertThat(queryInt(again, "SELECT 1")).isEqualTo(1);
    }
  }

  @Test
  void blackholeMakesQueriesTimeOutAndKeepsConnectionsOpen() throws Exception {
    try (Connection connection = connectThroughProxy("socketTimeout", "2")) {
      assertThat(queryInt(connection, "SELECT 1")).isEqualTo(1);

      proxy.blackhole(true);

      assertThatThrownBy(() -> queryInt(connection, "SELECT 1"))
          .isInstanceOf(SQLException.class)
          .hasMessage("An I/O error occurred while sending to the backend.")
          .hasRootCauseInstanceOf(SocketTimeoutException.class);
      assertThat(proxy.connections()).as("connections stay open").isEqualTo(1);
    }

    proxy.blackhole(false);

    try (Connection fresh = connectThroughProxy()) {
      assertThat(queryInt(fresh, "SELECT 1")).isEqualTo(1);
    }
  }

  @Test
  void blackholeHoldsBytesAndNewConnectionsUntilTurnedOff() throws Exception {
    try (EchoServer echo = new EchoServer()) {
      proxy.target(echo.host(), echo.port());
      try (Socket open = connectRaw()) {
        writeAll(open, "before".getBytes(UTF_8));
        assertThat(new String(readExactly(open, 6), UTF_8)).isEqualTo("before");

        proxy.blackhole(true);
        writeAll(open, "held".getBytes(UTF_8));
        open.setSoTimeout(500);
        assertThatThrownBy(() -> open.getInputStream().read())
            .isInstanceOf(SocketTimeoutException.class);
        try (Socket duringPartition = connectRaw()) {
          writeAll(duringPartition, "late".getBytes(UTF_8));
          await().atMost(PATIENCE).until(() -> proxy.connections() == 2);
          Thread.sleep(300);
          assertThat(echo.accepted()).as("not connected to the target yet").isEqualTo(1);

          proxy.blackhole(false);

          assertThat(new String(readExactly(open, 4), UTF_8)).isEqualTo("held");
          assertThat(new String(readExactly(duringPartition, 4), UTF_8)).isEqualTo("late");
          assertThat(echo.accepted()).isEqualTo(2);
        }
      }
    }
  }

  @Test
  void refuseMakesConnectingFailUntilTurnedOff() throws Exception {
    try (Connection open = connectThroughProxy()) {
      int port = proxy.port();
      long openedBefore = proxy.connectionsOpened();

      proxy.refuse(true);

      assertThatThrownBy(TcpProxyTest::connectThroughProxy)
          .hasMessage(
              "Connection to 127.0.0.1:"
                  + port
                  + " refused. Check that the hostname and port are correct and that the"
                  + " postmaster is accepting TCP/IP connections.")
          .isInstanceOfSatisfying(
              SQLException.class, failure -> assertThat(failure.getSQLState()).isEqualTo("08001"));
      assertThatThrownBy(TcpProxyTest::connectRaw)
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("Connection refused");
      assertThat(proxy.connectionsOpened()).isEqualTo(openedBefore);
      assertThat(queryInt(open, "SELECT 7")).as("open connections stay").isEqualTo(7);
      assertThat(proxy.toString()).contains("refusing");

      proxy.refuse(false);

      assertThat(proxy.port()).isEqualTo(port);
      try (Connection again = connectThroughProxy()) {
        assertThat(queryInt(again, "SELECT 1")).isEqualTo(1);
      }
    }
  }

  @Test
  void forwardsALogicalReplicationStream() throws Exception {
    int rows = 5_000;
    String payload = "x".repeat(1_000);
    pg.execute("CREATE TABLE proxied (id int PRIMARY KEY, payload text)");
    Properties replication = new Properties();
    replication.setProperty("replication", "database");
    replication.setProperty("assumeMinServerVersion", "10");
    replication.setProperty("preferQueryMode", "simple");
    try (Connection connection = connectThroughProxy(replication)) {
      PGConnection postgres = connection.unwrap(PGConnection.class);
      postgres
          .getReplicationAPI()
          .createReplicationSlot()
          .logical()
          .withSlotName("through_proxy")
          .withOutputPlugin("test_decoding")
          .make();
      pg.execute(
          "INSERT INTO proxied SELECT g, repeat('x', 1000) FROM generate_series(1, "
              + rows
              + ") g");

      try (PGReplicationStream stream =
          postgres
              .getReplicationAPI()
              .replicationStream()
              .logical()
              .withSlotName("through_proxy")
              .withStatusInterval(1, TimeUnit.SECONDS)
              .start()) {
        List<Integer> ids = readInsertedIds(stream, rows, payload);

        assertThat(ids).hasSize(rows).startsWith(1, 2, 3).endsWith(rows - 1, rows);
        assertThat(ids).isSorted().doesNotHaveDuplicates();

        LogSequenceNumber received = stream.getLastReceiveLSN();
        stream.setAppliedLSN(received);
        stream.setFlushedLSN(received);
        stream.forceUpdateStatus();
        await()
            .atMost(PATIENCE)
            .until(
                () ->
                    pg.query(
                            "SELECT confirmed_flush_lsn >= '"
                                + received.asString()
                                + "'::pg_lsn FROM pg_replication_slots"
                                + " WHERE slot_name = 'through_proxy'",
                            row -> row.getBoolean(1))
                        .equals(List.of(true)));
      }
    } finally {
      await()
          .atMost(PATIENCE)
          .until(
              () ->
                  pg.query(
                          "SELECT count(*) FROM pg_replication_slots"
                              + " WHERE slot_name = 'through_proxy' AND active",
                          row -> row.getInt(1))
                      .equals(List.of(0)));
      pg.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE slot_name = 'through_proxy'",
          "DROP TABLE proxied");
    }
  }

  @Test
  void delayAddsLatencyInBothDirections() throws Exception {
    try (Connection connection = connectThroughProxy()) {
      proxy.delay(Duration.ofMillis(300));
      long start = System.nanoTime();

      assertThat(queryInt(connection, "SELECT 1")).isEqualTo(1);

      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(600));
      assertThat(proxy.toString()).contains("delay PT0.3S");
    }
  }

  @Test
  void closeStopsListeningAndResetsConnections() throws Exception {
    int port;
    Connection connection;
    try (TcpProxy own = TcpProxy.to(pg.host(), pg.port()).start()) {
      port = own.port();
      connection = connect(own, new Properties());
      assertThat(queryInt(connection, "SELECT 1")).isEqualTo(1);
      assertThat(own.isRunning()).isTrue();
    }

    try (connection) {
      assertThatThrownBy(() -> queryInt(connection, "SELECT 1"))
          .isInstanceOf(SQLException.class)
          .hasMessage("An I/O error occurred while sending to the backend.");
    }
    assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void resetsConnectionsWhileItHasNoTarget() throws Exception {
    try (TcpProxy noTarget = TcpProxy.create().start();
        Socket socket = new Socket(noTarget.host(), noTarget.port())) {
      socket.setSoTimeout((int) PATIENCE.toMillis());
      int read;
      try {
        read = socket.getInputStream().read();
      } catch (SocketException reset) {
        assertThat(reset).hasMessage("Connection reset");
        read = -1;
      }

      assertThat(read).as("the connection is closed at once").isEqualTo(-1);
      assertThat(noTarget.connectionsOpened()).isEqualTo(1);
      assertThat(noTarget.connections()).isZero();
      assertThat(noTarget.toString())
          .isEqualTo(
              "TcpProxy{127.0.0.1:"
                  + noTarget.port()
                  + " -> no target, 0 connections open, 1 opened}");
    }
  }

  @Test
  void forwardsOnNamedDaemonThreads() throws Exception {
    try (Connection connection = connectThroughProxy()) {
      assertThat(queryInt(connection, "SELECT 1")).isEqualTo(1);

      List<Thread> threads =
          Thread.getAllStackTraces().keySet().stream()
              .filter(
                  thread -> thread.getName().startsWith("datis-tcp-proxy-" + proxy.port() + "-"))
              .toList();

      assertThat(threads).isNotEmpty().allMatch(Thread::isDaemon);
      assertThat(threads)
          .extracting(Thread::getName)
          .anyMatch(name -> name.endsWith("-accept"))
          .anyMatch(name -> name.matches("datis-tcp-proxy-\\d+-\\d+-to-server"))
          .anyMatch(name -> name.matches("datis-tcp-proxy-\\d+-\\d+-to-client"));
    }
  }

  @Test
  void rejectsWrongArgumentsAndSaysWhatToDo() {
    assertThatThrownBy(() -> TcpProxy.to(" ", 5432))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TcpProxy target host must not be blank");
    assertThatThrownBy(() -> TcpProxy.to("db", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TcpProxy target port must be from 1 to 65535, but was 0");
    assertThatThrownBy(() -> TcpProxy.create().target("db", 65_536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TcpProxy target port must be from 1 to 65535, but was 65536");
    assertThatThrownBy(() -> TcpProxy.create().delay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TcpProxy delay must not be negative, but was PT-0.001S");
    assertThatThrownBy(() -> TcpProxy.to("db", 5432).port())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "TcpProxy.port() needs a started proxy, but TcpProxy{not started -> db:5432, 0"
                + " connections open, 0 opened} is not started: call start(), or register it"
                + " with @RegisterExtension on a static field");
  }

  // ------------------------------------------------------------------ helpers

  private static Connection connectThroughProxy(String... settings) throws SQLException {
    Properties properties = new Properties();
    for (int i = 0; i < settings.length; i += 2) {
      properties.setProperty(settings[i], settings[i + 1]);
    }
    return connectThroughProxy(properties);
  }

  private static Connection connectThroughProxy(Properties settings) throws SQLException {
    return connect(proxy, settings);
  }

  private static Connection connect(TcpProxy through, Properties settings) throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", pg.user());
    properties.setProperty("password", pg.password());
    properties.setProperty("connectTimeout", "30");
    properties.putAll(settings);
    String url = "jdbc:postgresql://" + through.host() + ":" + through.port() + "/postgres";
    return DriverManager.getConnection(url, properties);
  }

  private static Socket connectRaw() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(proxy.host(), proxy.port()), (int) PATIENCE.toMillis());
    socket.setSoTimeout((int) PATIENCE.toMillis());
    return socket;
  }

  private static int queryInt(Connection connection, String sql) throws SQLException {
    return Integer.parseInt(queryString(connection, sql));
  }

  private static String queryString(Connection connection, String sql) throws SQLException {
    try (Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      assertThat(row.next()).isTrue();
      return row.getString(1);
    }
  }

  /** The MD5 of a text, computed by PostgreSQL on a direct connection (not through the proxy). */
  private static String md5Direct(String text) throws SQLException {
    try (Connection direct = pg.connect();
        PreparedStatement statement = direct.prepareStatement("SELECT md5(?)")) {
      statement.setString(1, text);
      try (ResultSet row = statement.executeQuery()) {
        assertThat(row.next()).isTrue();
        return row.getString(1);
      }
    }
  }

  private static List<Integer> readInsertedIds(
      PGReplicationStream stream, int expected, String payload) throws Exception {
    String prefix = "table public.proxied: INSERT: id[integer]:";
    String suffix = " payload[text]:'" + payload + "'";
    List<Integer> ids = new ArrayList<>();
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (ids.size() < expected) {
      ByteBuffer message = stream.readPending();
      if (message == null) {
        assertThat(System.nanoTime())
            .as("%d of %d inserts arrived within %s", ids.size(), expected, PATIENCE)
            .isLessThan(deadline);
        Thread.sleep(10);
        continue;
      }
      String text =
          new String(
              message.array(),
              message.arrayOffset() + message.position(),
              message.remaining(),
              UTF_8);
      if (text.startsWith(prefix)) {
        assertThat(text).endsWith(suffix);
        ids.add(Integer.parseInt(text.substring(prefix.length(), text.length() - suffix.length())));
      }
    }
    return ids;
  }

  private static void writeAll(Socket socket, byte[] bytes) {
    try {
      OutputStream out = socket.getOutputStream();
      for (int offset = 0; offset < bytes.length; offset += 100_000) {
        out.write(bytes, offset, Math.min(100_000, bytes.length - offset));
      }
      out.flush();
    } catch (IOException e) {
      throw new AssertionError("writing through the proxy failed", e);
    }
  }

  private static byte[] readExactly(Socket socket, int count) throws IOException {
    byte[] bytes = socket.getInputStream().readNBytes(count);
    assertThat(bytes).as("bytes read before the end of the stream").hasSize(count);
    return bytes;
  }

  /** A server that sends back what it receives, on every connection. */
  private static final class EchoServer implements AutoCloseable {

    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();

    EchoServer() throws IOException {
      Thread acceptor = new Thread(this::acceptAll, "echo-server-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String host() {
      return "127.0.0.1";
    }

    int port() {
      return server.getLocalPort();
    }

    int accepted() {
      return accepted.get();
    }

    private void acceptAll() {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          accepted.incrementAndGet();
          clients.add(client);
          Thread echo = new Thread(() -> echo(client), "echo-server-" + accepted.get());
          echo.setDaemon(true);
          echo.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private static void echo(Socket client) {
      byte[] buffer = new byte[64 * 1024];
      try (client;
          InputStream in = client.getInputStream();
          OutputStream out = client.getOutputStream()) {
        for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
          out.write(buffer, 0, read);
        }
      } catch (IOException e) {
        // The test closed the connection.
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket client : clients) {
        client.close();
      }
    }
  }
}
