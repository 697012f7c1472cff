package io.datis.pubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.api.event.Position;
import io.datis.api.event.TableId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PubSubLimitsTest {

  private static final String SECRET = "s3cr3t-row-value";

  private static final ChangeEvent EVENT =
      ChangeEvent.builder(Operation.INSERT, TableId.of("public", "files"))
          .keyColumns(List.of("id"))
          .after(Map.of("id", SECRET, "content", SECRET + SECRET))
          .position(Position.of(0x16B3748L, 571, 3))
          .commitTime(Instant.parse("2026-01-02T03:04:05Z"))
          .build();

  private static final String PREFIX =
      "message for public.files (key columns [id]) at lsn 0/16B3748 tx 571 #3";

  private static PubsubMessage.Builder message(int dataBytes) {
    return PubsubMessage.newBuilder()
        .setData(ByteString.copyFromUtf8(SECRET.repeat(dataBytes / SECRET.length() + 1)))
        .putAttributes("datis-table", "public.files");
  }

  @Test
  void aMessageWithinTheLimitsHasNoViolations() {
    PubsubMessage message =
        message(1_000).setOrderingKey("public.files:[\"" + SECRET + "\"]").build();

    assertThat(PubSubLimits.violations(message, EVENT)).isEmpty();
  }

  @Test
  void aMessageOverTenMegabytesIsReported() {
    PubsubMessage message =
        PubsubMessage.newBuilder().setData(ByteString.copyFrom(new byte[12_582_912])).build();

    assertThat(PubSubLimits.violations(message, EVENT))
        .containsExactly(
            PREFIX + " is 12,582,912 bytes, over Pub/Sub's 10 MB limit (10,000,000 bytes)");
  }

  @Test
  void theSizeCountsDataAttributesAndOrderingKey() {
    PubsubMessage exactly =
        PubsubMessage.newBuilder()
            .setData(ByteString.copyFrom(new byte[10_000_000 - 4]))
            .putAttributes("ab", "é")
            .build();
    PubsubMessage oneOver = exactly.toBuilder().setOrderingKey("k").build();

    assertThat(PubSubLimits.size(exactly)).isEqualTo(10_000_000);
    assertThat(PubSubLimits.violations(exactly, EVENT)).isEmpty();
    assertThat(PubSubLimits.violations(oneOver, EVENT))
        .containsExactly(
            PREFIX + " is 10,000,001 bytes, over Pub/Sub's 10 MB limit (10,000,000 bytes)");
  }

  @Test
  void moreThanOneHundredAttributesAreReported() {
    PubsubMessage.Builder message = message(10);
    for (int i = 0; i < 100; i++) {
      message.putAttributes("user-" + i, SECRET);
    }

    assertThat(PubSubLimits.violations(message.build(), EVENT))
        .containsExactly(
            PREFIX
                + " has 101 attributes, over Pub/Sub's limit of 100 (Datis sets 7, or 14 with"
                + " CloudEvents binary; the rest are yours)");
  }

  @Test
  void anAttributeNameOver256BytesIsReportedWithoutTheName() {
    String name = "n".repeat(257);
    PubsubMessage message = message(10).putAttributes(name, SECRET).build();

    assertThat(PubSubLimits.violations(message, EVENT))
        .containsExactly(
            PREFIX + " has an attribute name of 257 bytes, over Pub/Sub's 256-byte limit");
  }

  @Test
  void anAttributeValueOver1024BytesIsReportedByNameWithoutTheValue() {
    PubsubMessage message = message(10).putAttributes("user-note", SECRET.repeat(100)).build();

    assertThat(PubSubLimits.violations(message, EVENT))
        .containsExactly(
            PREFIX
                + " has attribute 'user-note' with a value of 1,600 bytes, over Pub/Sub's"
                + " 1,024-byte limit");
  }

  @Test
  void anOrderingKeyOver1024BytesIsReportedWithoutTheKey() {
    PubsubMessage message = message(10).setOrderingKey(SECRET.repeat(70)).build();

    assertThat(PubSubLimits.violations(message, EVENT))
        .containsExactly(
            PREFIX + " has an ordering key of 1,120 bytes, over Pub/Sub's 1,024-byte limit");
  }

  @Test
  void everyViolationIsReportedAndNoneContainsRowValues() {
    PubsubMessage.Builder message =
        PubsubMessage.newBuilder()
            .setData(ByteString.copyFromUtf8(SECRET.repeat(700_000)))
            .setOrderingKey(SECRET.repeat(70))
            .putAttributes(SECRET.repeat(20), "x")
            .putAttributes("big", SECRET.repeat(100));
    for (int i = 0; i < 100; i++) {
      message.putAttributes("user-" + i, SECRET);
    }

    List<String> violations = PubSubLimits.violations(message.build(), EVENT);

    assertThat(violations).hasSize(5);
    assertThat(violations).allSatisfy(text -> assertThat(text).startsWith(PREFIX));
    assertThat(String.join("\n", violations)).doesNotContain(SECRET, "s3cr3t");
  }

  @Test
  void aTableWithoutKeyColumnsIsNamedAsSuch() {
    ChangeEvent keyless =
        ChangeEvent.builder(Operation.INSERT, TableId.of("public", "log"))
            .after(Map.of("line", SECRET))
            .position(Position.of(0x16B3748L, 571, 3))
            .commitTime(Instant.parse("2026-01-02T03:04:05Z"))
            .build();
    PubsubMessage message = message(10).setOrderingKey("k".repeat(1_025)).build();

    assertThat(PubSubLimits.violations(message, keyless))
        .containsExactly(
            "message for public.log (no key columns) at lsn 0/16B3748 tx 571 #3 has an ordering key"
                + " of 1,025 bytes, over Pub/Sub's 1,024-byte limit");
  }

  @Test
  void theOnePassCheckAgreesWithTheViolationsAtEachLimitAndJustPastIt() {
    List<PubsubMessage> messages =
        List.of(
            message(1_000).setOrderingKey("k").build(),
            PubsubMessage.newBuilder()
                .setData(ByteString.copyFrom(new byte[10_000_000 - 4]))
                .putAttributes("ab", "é")
                .build(),
            PubsubMessage.newBuilder()
                .setData(ByteString.copyFrom(new byte[10_000_000 - 4]))
                .putAttributes("ab", "é")
                .setOrderingKey("k")
                .build(),
            message(10).setOrderingKey("k".repeat(1_024)).build(),
            message(10).setOrderingKey("é".repeat(513)).build(),
            message(10).putAttributes("a".repeat(256), "v").build(),
            message(10).putAttributes("a".repeat(257), "v").build(),
            message(10).putAttributes("a", "v".repeat(1_024)).build(),
            message(10).putAttributes("a", "é".repeat(513)).build(),
            withAttributes(99),
            withAttributes(100));
    for (PubsubMessage message : messages) {
      boolean fits = PubSubLimits.violations(message, EVENT).isEmpty();
      assertThat(PubSubLimits.sizeWithinLimits(message))
          .as("one-pass check of %s", PubSubLimits.violations(message, EVENT))
          .isEqualTo(fits ? PubSubLimits.size(message) : -1);
    }
  }

  private static PubsubMessage withAttributes(int userAttributes) {
    PubsubMessage.Builder message = message(10);
    for (int i = 0; i < userAttributes; i++) {
      message.putAttributes("user-" + i, SECRET);
    }
    return message.build();
  }
}
