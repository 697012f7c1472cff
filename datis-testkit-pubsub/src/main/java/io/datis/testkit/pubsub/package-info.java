/**
 * A local Google Cloud Pub/Sub server for tests: {@link io.datis.testkit.pubsub.LocalPubSub} speaks
 * the Pub/Sub gRPC protocol on a loopback port, so the official Java client (and Datis's Pub/Sub
 * sink) talk to it exactly as to the Pub/Sub emulator, and it can inject publish failures and
 * latency on demand. Everything in this package is public API; {@code
 * io.datis.testkit.pubsub.internal} is not.
 */
@NullMarked
package io.datis.testkit.pubsub;

import org.jspecify.annotations.NullMarked;
