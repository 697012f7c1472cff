package io.datis.testkit.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of a {@code TcpProxy}: a socket on {@code 127.0.0.1} and a daemon thread that
 * accepts connections and hands them over.
 *
 * <p>To refuse connections, it closes its listening socket and keeps the port with a socket that is
 * bound but does not listen: the operating system then answers connection attempts with a reset
 * ("connection refused", as for a host where nothing listens), and no other program can take the
 * port, so that listening again on the same port works.
 *
 * <p>Not supported API: used by {@code TcpProxy} only.
 */
public final class ProxyListener {

  /** The address it listens on. */
  public static final String HOST = "127.0.0.1";

  private static final Logger LOG = LoggerFactory.getLogger(ProxyListener.class);

  private final int port;
  private final Consumer<Socket> accepted;
  private @Nullable ServerSocket listening;
  private @Nullable Thread accepting;
  private @Nullable Socket placeholder;
  private boolean closed;

  private ProxyListener(int port, Consumer<Socket> accepted) {
    this.port = port;
    this.accepted = accepted;
  }

  /**
   * Binds a free port of {@code 127.0.0.1}, and listens on it unless {@code refusing}.
   *
   * @param accepted called on the accepting thread with each accepted socket, which it owns
   * @throws IOException if no port can be bound
   */
  public static ProxyListener open(boolean refusing, Consumer<Socket> accepted) throws IOException {
    if (refusing) {
      Socket placeholder = placeholder(0);
      ProxyListener listener = new ProxyListener(placeholder.getLocalPort(), accepted);
      synchronized (listener) {
        listener.placeholder = placeholder;
      }
      return listener;
    }
    ServerSocket socket = listen(0);
    ProxyListener listener = new ProxyListener(socket.getLocalPort(), accepted);
    synchronized (listener) {
      listener.listening = socket;
      listener.acceptOn(socket);
    }
    return listener;
  }

  /** The port, kept while refusing. */
  public int port() {
    return port;
  }

  /**
   * Starts or stops refusing connections; does nothing if already so.
   *
   * @throws IOException if the port could not be bound again, because another program took it
   */
  public synchronized void refuse(boolean on) throws IOException {
    if (closed) {
      return;
    }
    ServerSocket socket = listening;
    Socket held = placeholder;
    if (on && socket != null) {
      // A bound socket cannot share the port with a listening one: close first, then hold.
      listening = null;
      socket.close();
      awaitAcceptingThreadEnd();
      placeholder = placeholder(port);
    } else if (!on && held != null) {
      ServerSocket again;
      try {
        again = listen(port);
      } catch (BindException sharingNotAllowed) {
        // Some systems let no socket share a port with a bound one: give it up, then listen.
        placeholder = null;
        held.close();
        again = listen(port);
      }
      placeholder = null;
      held.close();
      listening = again;
      acceptOn(again);
    }
  }

  /**
   * Stops listening and releases the port; idempotent. When it returns, connecting fails. Accepted
   * sockets are not closed.
   */
  public synchronized void close() {
    closed = true;
    try {
      ServerSocket socket = listening;
      if (socket != null) {
        socket.close();
        awaitAcceptingThreadEnd();
      }
      Socket held = placeholder;
      if (held != null) {
        held.close();
      }
    } catch (IOException e) {
      LOG.debug("Closing the proxy's socket on port {} failed", port, e);
    }
    listening = null;
    placeholder = null;
  }

  private void acceptOn(ServerSocket socket) {
    Thread thread = new Thread(() -> acceptAll(socket), "datis-tcp-proxy-" + port + "-accept");
    thread.setDaemon(true);
    thread.start();
    accepting = thread;
  }

  /**
   * Waits until the thread that accepted on the closed listening socket ends: the JDK releases a
   * socket that a thread is blocked on only once that thread has left {@code accept}, and until
   * then the socket still listens and holds the port.
   */
  private void awaitAcceptingThreadEnd() throws IOException {
    Thread thread = accepting;
    accepting = null;
    if (thread == null) {
      return;
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while closing the listening socket");
    }
  }

  private void acceptAll(ServerSocket socket) {
    while (!socket.isClosed()) {
      Socket client;
      try {
        client = socket.accept();
      } catch (IOException e) {
        if (!socket.isClosed()) {
          // Such as too many open files: try again, without spinning.
          LOG.warn("TcpProxy on port {} could not accept a connection: {}", port, e.toString());
          pause();
        }
        continue;
      }
      try {
        client.setTcpNoDelay(true);
      } catch (SocketException e) {
        LOG.debug("TCP_NODELAY not set on {}", client, e);
      }
      accepted.accept(client);
    }
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(HOST, port), 128);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static Socket placeholder(int port) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(HOST, port));
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }
}
