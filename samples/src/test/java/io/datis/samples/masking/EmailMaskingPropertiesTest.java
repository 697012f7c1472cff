package io.datis.samples.masking;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.api.event.ChangeEvent;
import io.datis.testkit.ChangeEventArbitraries;
import io.datis.testkit.TransformOutput;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A transform's property test: generated events of every operation and value type, no PostgreSQL.
 */
class EmailMaskingPropertiesTest {

  private final EmailMasking masking =
      new EmailMasking("test-key".getBytes(StandardCharsets.UTF_8));

  @Provide
  Arbitrary<ChangeEvent> eventsWithEmails() {
    return ChangeEventArbitraries.eventsWithColumn(
        "email", Arbitraries.strings().ofMinLength(1).ofMaxLength(40));
  }

  @Property(tries = 300)
  void maskingNeverLeaksTheOriginalEmail(@ForAll("eventsWithEmails") ChangeEvent event)
      throws Exception {
    ChangeEvent masked = TransformOutput.of(masking, event).orElseThrow();

    Stream.of(event.before(), event.after())
        .flatMap(Optional::stream)
        .map(row -> row.get("email"))
        .filter(String.class::isInstance)
        .forEach(
            email -> {
              assertThat(masked.before().map(r -> r.get("email")).orElse(null)).isNotEqualTo(email);
              assertThat(masked.after().map(r -> r.get("email")).orElse(null)).isNotEqualTo(email);
            });
  }

  @Property(tries = 300)
  void everythingButTheEmailIsKept(@ForAll("eventsWithEmails") ChangeEvent event) throws Exception {
    ChangeEvent masked = TransformOutput.of(masking, event).orElseThrow();

    assertThat(masked.operation()).isEqualTo(event.operation());
    assertThat(masked.position()).isEqualTo(event.position());
    assertThat(masked.keyColumns()).isEqualTo(event.keyColumns());
    assertThat(masked.after().map(Map::keySet)).isEqualTo(event.after().map(Map::keySet));
  }
}
