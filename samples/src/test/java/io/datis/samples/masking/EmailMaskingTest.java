package io.datis.samples.masking;

import static io.datis.testkit.DatisAssertions.assertThat;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Unchanged;
import io.datis.testkit.ChangeEvents;
import io.datis.testkit.TransformOutput;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A transform's unit test: events built in memory, no PostgreSQL. */
class EmailMaskingTest {

  private final EmailMasking masking =
      new EmailMasking("test-key".getBytes(StandardCharsets.UTF_8));

  @Test
  void replacesTheEmailInBothImagesWithTheSameKeyedHash() throws Exception {
    ChangeEvent update =
        ChangeEvents.update("public.users")
            .key("id", 7)
            .before("email", "ada@example.com")
            .after("email", "ada@example.com")
            .build();

    ChangeEvent masked = TransformOutput.of(masking, update).orElseThrow();

    assertThat(masked).isUpdateOf("id", 7).doesNotContainValue("ada@example.com");
    org.assertj.core.api.Assertions.assertThat(masked.after().orElseThrow().get("email"))
        .asString()
        .hasSize(64)
        .isEqualTo(masked.before().orElseThrow().get("email"));
  }

  @Test
  void leavesEventsWithoutEmailAndUnchangedEmailsAlone() throws Exception {
    ChangeEvent order =
        ChangeEvents.insert("public.orders").key("id", 1).column("total", 10).build();
    ChangeEvent toasted =
        ChangeEvents.update("public.users").key("id", 2).unchanged("email").build();

    org.assertj.core.api.Assertions.assertThat(TransformOutput.of(masking, order).orElseThrow())
        .isSameAs(order);
    assertThat(TransformOutput.of(masking, toasted).orElseThrow())
        .hasAfterColumn("email", Unchanged.VALUE);
  }
}
