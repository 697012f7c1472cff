package io.datis.pubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.api.event.Position;
import org.junit.jupiter.api.Test;

class EventIdsTest {

  @Test
  void theIdIsTheZeroPaddedHexLsnTheTransactionAndTheSequence() {
    assertThat(EventIds.of(Position.of(0x16B3748L, 571, 3))).isEqualTo("00000000016B3748-571-3");
    assertThat(EventIds.of(Position.of(0, 0, 1))).isEqualTo("0000000000000000-0-1");
    assertThat(EventIds.of(Position.of(Long.MAX_VALUE, 4_294_967_295L, 1_000_000L)))
        .isEqualTo("7FFFFFFFFFFFFFFF-4294967295-1000000");
    assertThat(EventIds.of(Position.of(Position.parseLsn("2A/FF000010"), 9, 12)))
        .isEqualTo("0000002AFF000010-9-12");
  }

  @Test
  void theSamePositionAlwaysGivesTheSameId() {
    String first = EventIds.of(Position.of(0x16B3748L, 571, 3));
    String redelivered = EventIds.of(Position.of(0x16B3748L, 571, 3));

    assertThat(redelivered).isEqualTo(first);
  }

  @Test
  void changesSharingAnLsnGetDifferentIds() {
    assertThat(EventIds.of(Position.of(0x16B3748L, 571, 3)))
        .isNotEqualTo(EventIds.of(Position.of(0x16B3748L, 571, 4)))
        .isNotEqualTo(EventIds.of(Position.of(0x16B3748L, 572, 3)));
  }

  @Test
  void idsSortByLsn() {
    assertThat(EventIds.of(Position.of(0xFFL, 1, 1)))
        .isLessThan(EventIds.of(Position.of(0x100L, 1, 1)));
  }
}
