package io.datis.testkit.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import java.util.ArrayList;
import java.util.List;

/** Every message ever published to one topic name, in the order stored; outlives the topic. */
final class TopicLog {

  private final List<PubsubMessage> messages = new ArrayList<>();

  synchronized void append(List<PubsubMessage> published) {
    messages.addAll(published);
  }

  synchronized List<PubsubMessage> snapshot() {
    return List.copyOf(messages);
  }
}
