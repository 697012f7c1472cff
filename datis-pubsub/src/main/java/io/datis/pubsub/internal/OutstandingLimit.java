package io.datis.pubsub.internal;

/**
 * The sink's flow control: bounds the messages and bytes handed to Pub/Sub but not yet
 * acknowledged. Beyond the bound, {@link #acquire} blocks the delivering thread, which pauses
 * capture instead of growing memory. A message larger than the byte bound counts as the bound, so
 * it can always go alone.
 */
final class OutstandingLimit {

  private final long maxMessages;
  private final long maxBytes;
  private long messages;
  private long bytes;
  private boolean closed;

  OutstandingLimit(long maxMessages, long maxBytes) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  /**
   * Counts one more message of {@code size} bytes if it fits now.
   *
   * @return the bytes counted for it, to give back with {@link #release}, or -1 if it does not fit
   */
  synchronized long tryAcquire(long size) {
    long charged = Math.min(size, maxBytes);
    if (!fits(charged)) {
      return -1;
    }
    messages++;
    bytes += charged;
    return charged;
  }

  /**
   * Waits until one more message of {@code size} bytes fits, then counts it, as {@link
   * #tryAcquire}.
   */
  synchronized long acquire(long size) throws InterruptedException {
    long charged = Math.min(size, maxBytes);
    while (!fits(charged)) {
      wait();
    }
    messages++;
    bytes += charged;
    return charged;
  }

  private boolean fits(long charged) {
    return closed || messages == 0 || (messages < maxMessages && bytes + charged <= maxBytes);
  }

  /** Gives back what {@code count} messages took, {@code charged} bytes in all. */
  synchronized void release(int count, long charged) {
    messages -= count;
    bytes -= charged;
    notifyAll();
  }

  /** Lets every waiting and later {@link #acquire} through: the sink is closing. */
  synchronized void close() {
    closed = true;
    notifyAll();
  }
}
