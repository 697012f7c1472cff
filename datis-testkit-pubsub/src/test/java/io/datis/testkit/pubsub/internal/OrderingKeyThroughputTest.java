package io.datis.testkit.pubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

class OrderingKeyThroughputTest {

  @Test
  void keysWhoseBucketsRefilledAreForgottenSoMemoryDoesNotGrowWithTheKeys() throws Exception {
    OrderingKeyThroughput throughput = new OrderingKeyThroughput();
    // 1 MB/s refills a one-kilobyte charge in a millisecond.
    throughput.limit(1_000_000);
    for (int i = 0; i < 9_999; i++) {
      assertThat(throughput.check(request("key-" + i))).isNull();
    }
    assertThat(throughput.trackedKeys()).isEqualTo(9_999);
    Thread.sleep(50);

    assertThat(throughput.check(request("one-more"))).isNull();

    assertThat(throughput.trackedKeys()).as("only the key just charged").isEqualTo(1);
  }

  @Test
  void aKeyOverItsLimitIsRefusedWithResourceExhaustedAndOtherKeysAreNot() {
    OrderingKeyThroughput throughput = new OrderingKeyThroughput();
    // Requests of 10 kB and a bit are charged 11 kB: a full bucket of 15 kB takes two, the second
    // leaving a debt of about 7 kB that takes half a second to repay.
    throughput.limit(15_000);
    assertThat(throughput.check(request("hot", 10_000))).isNull();
    assertThat(throughput.check(request("hot", 10_000))).isNull();

    Status refused = throughput.check(request("hot", 10_000));

    assertThat(refused).isNotNull();
    assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getDescription()).contains("\"hot\"", "more ordering keys");
    assertThat(throughput.check(request("cold", 10_000))).isNull();
    assertThat(throughput.check(request("", 10_000))).as("no ordering key, no limit").isNull();
    assertThat(throughput.refused()).isEqualTo(1);
  }

  private static PublishRequest request(String orderingKey) {
    return request(orderingKey, 1);
  }

  private static PublishRequest request(String orderingKey, int dataBytes) {
    return PublishRequest.newBuilder()
        .setTopic("projects/p/topics/t")
        .addMessages(
            PubsubMessage.newBuilder()
                .setData(ByteString.copyFromUtf8("x".repeat(dataBytes)))
                .setOrderingKey(orderingKey)
                .build())
        .build();
  }
}
