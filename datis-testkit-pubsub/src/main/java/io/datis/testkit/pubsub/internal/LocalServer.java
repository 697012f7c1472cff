package io.datis.testkit.pubsub.internal;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gRPC server of a {@code LocalPubSub}: plaintext on a free loopback port. Calls run on
 * the transport's threads (they never block); streaming pull responses are sent by two delivery
 * threads; one timer thread expires leases and delays responses.
 */
public final class LocalServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalServer.class);

  private static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
  private static final long LEASE_CHECK_MILLIS = 50;

  private final Server server;
  private final ExecutorService delivery;
  private final ScheduledExecutorService scheduler;

  private LocalServer(Server server, ExecutorService delivery, ScheduledExecutorService scheduler) {
    this.server = server;
    this.delivery = delivery;
    this.scheduler = scheduler;
  }

  /**
   * Starts a server on {@code host} and a free port.
   *
   * @throws UncheckedIOException if it cannot listen
   */
  public static LocalServer start(
      String host, Broker broker, Faults faults, OrderingKeyThroughput throughput) {
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(threads("datis-local-pubsub-timer"));
    ExecutorService delivery =
        Executors.newFixedThreadPool(2, threads("datis-local-pubsub-delivery"));
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, 0))
            .directExecutor()
            .addService(new PublisherService(broker, faults, throughput, scheduler))
            .addService(new SubscriberService(broker, delivery, scheduler))
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            .permitKeepAliveTime(1, TimeUnit.SECONDS)
            .permitKeepAliveWithoutCalls(true)
            .build();
    try {
      server.start();
    } catch (IOException e) {
      scheduler.shutdownNow();
      delivery.shutdownNow();
      throw new UncheckedIOException("LocalPubSub could not listen on " + host + ": " + e, e);
    }
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            broker.expireLeases();
          } catch (RuntimeException e) {
            LOG.warn("LocalPubSub could not expire leases", e);
          }
        },
        LEASE_CHECK_MILLIS,
        LEASE_CHECK_MILLIS,
        TimeUnit.MILLISECONDS);
    LOG.debug("LocalPubSub listening on {}:{}", host, server.getPort());
    return new LocalServer(server, delivery, scheduler);
  }

  public int port() {
    return server.getPort();
  }

  /** Cancels every call and stops listening; waits a few seconds at most. */
  @Override
  public void close() {
    server.shutdownNow();
    scheduler.shutdownNow();
    delivery.shutdownNow();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warn("LocalPubSub's gRPC server did not terminate within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory threads(String name) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
