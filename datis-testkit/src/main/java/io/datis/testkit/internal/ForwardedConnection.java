package io.datis.testkit.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import org.jspecify.annotations.Nullable;

/**
 * One client connection of a {@code TcpProxy} and its connection to the target: two daemon threads
 * copy bytes in 64 KiB chunks, one per direction, asking {@link ProxyFaults} before each read and
 * write. An end of stream is passed on as such (a half close), so that each side sees the other
 * close; an I/O error on either side, and {@link #reset()}, close both sockets with a reset.
 *
 * <p>Not supported API: used by {@code TcpProxy} only.
 */
public final class ForwardedConnection {

  /** Bytes read and written at once: large enough for a replication stream at full speed. */
  static final int CHUNK_BYTES = 64 * 1024;

  /** How long to wait for the target to accept the connection. */
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  /** What the proxy learns about its connections. */
  public interface Events {

    /** The connection is closed, both sides; called once. */
    void closed(ForwardedConnection connection);

    /** The target could not be reached; the client's connection is being reset. */
    void targetUnreachable(ForwardedConnection connection, IOException cause);
  }

  private final Socket client;
  private final String targetHost;
  private final int targetPort;
  private final ProxyFaults faults;
  private final Events events;
  private final String threadName;
  private @Nullable Socket server;
  private volatile boolean closed;
  private int endedDirections;

  /**
   * A connection that forwards what {@code client} sends to {@code targetHost:targetPort} once
   * {@link #start()}ed.
   *
   * @param threadName the prefix of its threads' names
   */
  public ForwardedConnection(
      Socket client,
      String targetHost,
      int targetPort,
      ProxyFaults faults,
      Events events,
      String threadName) {
    this.client = client;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.faults = faults;
    this.events = events;
    this.threadName = threadName;
  }

  /**
   * Connects to the target and forwards, on new daemon threads; returns at once. The connection to
   * the target is made when no blackhole is on.
   */
  public void start() {
    daemon(this::connectAndForward, threadName + "-to-server").start();
  }

  /** The target, as {@code host:port}. */
  public String target() {
    return targetHost + ":" + targetPort;
  }

  /** Whether both sides are closed. */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Closes both sides at once with a reset (an RST, not a FIN), as when a network path breaks or a
   * server dies; does nothing if already closed.
   *
   * @return whether this call closed the connection
   */
  public boolean reset() {
    Socket target;
    synchronized (this) {
      if (closed) {
        return false;
      }
      closed = true;
      target = server;
    }
    resetQuietly(client);
    if (target != null) {
      resetQuietly(target);
    }
    finished();
    return true;
  }

  private void connectAndForward() {
    try {
      if (!faults.awaitFlowing(this::isClosed)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reset();
      return;
    }
    Socket target = new Socket();
    try {
      target.setTcpNoDelay(true);
      target.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MILLIS);
    } catch (IOException e) {
      resetQuietly(target);
      if (!closed) {
        events.targetUnreachable(this, e);
        reset();
      }
      return;
    }
    synchronized (this) {
      if (closed) {
        resetQuietly(target);
        return;
      }
      server = target;
    }
    daemon(() -> forward(target, client), threadName + "-to-client").start();
    forward(client, target);
  }

  private void forward(Socket from, Socket to) {
    byte[] chunk = new byte[CHUNK_BYTES];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (faults.awaitFlowing(this::isClosed)) {
        int read = in.read(chunk);
        if (read < 0) {
          endOfStream(to);
          return;
        }
        long readAt = System.nanoTime();
        if (!faults.awaitDelay(readAt, this::isClosed) || !faults.awaitFlowing(this::isClosed)) {
          return;
        }
        out.write(chunk, 0, read);
      }
    } catch (IOException e) {
      reset();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reset();
    }
  }

  /** Passes an end of stream on; once both directions ended, closes both sockets. */
  private void endOfStream(Socket to) throws IOException {
    to.shutdownOutput();
    Socket target;
    synchronized (this) {
      endedDirections++;
      if (endedDirections < 2 || closed) {
        return;
      }
      closed = true;
      target = server;
    }
    closeQuietly(client);
    if (target != null) {
      closeQuietly(target);
    }
    finished();
  }

  private void finished() {
    faults.wakeAll();
    events.closed(this);
  }

  private static Thread daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }

  /** Closes a socket with a reset (an RST), ignoring errors. */
  public static void resetQuietly(Socket socket) {
    try {
      if (!socket.isClosed()) {
        socket.setSoLinger(true, 0);
      }
    } catch (SocketException e) {
      // Closed meanwhile, or never connected: closing below is all there is to do.
    }
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Nothing left to release.
    }
  }

  @Override
  public String toString() {
    return "ForwardedConnection{"
        + client.getRemoteSocketAddress()
        + " -> "
        + target()
        + (closed ? ", closed" : "")
        + "}";
  }
}
