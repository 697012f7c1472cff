package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.api.event.ChangeEvent;
import io.datis.testkit.ChangeEvents;
import org.junit.jupiter.api.Test;

class EventSizeTest {

  @Test
  void countsEachValueOfTheRowImagesOnceKeyColumnsIncluded() {
    String longKey = "k".repeat(10_000);
    ChangeEvent insert =
        ChangeEvents.insert("public.t")
            .key("id", longKey)
            .column("note", "n".repeat(1_000))
            .build();

    long size = EventSize.estimate(insert);

    assertThat(size)
        .as("the key's text is in the after image once, not counted again for key()")
        .isBetween(11_000L, 12_000L);
  }

  @Test
  void countsBothImagesOfAnUpdate() {
    ChangeEvent update =
        ChangeEvents.update("public.t")
            .key("id", 1)
            .before("note", "b".repeat(5_000))
            .after("note", "a".repeat(7_000))
            .build();

    assertThat(EventSize.estimate(update)).isBetween(12_000L, 13_000L);
  }
}
