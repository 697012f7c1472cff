package io.datis.testkit.pubsub.internal;

/** A receiver of a subscription's messages: a streaming pull stream or a waiting Pull call. */
interface Consumer {

  /**
   * Messages may have become deliverable. Called often and from any thread, without the
   * subscription's lock; implementations hand the work to another thread and return at once.
   */
  void messagesAvailable();

  /** The subscription was deleted; the consumer fails its call with NOT_FOUND. */
  void subscriptionDeleted(RpcException notFound);
}
