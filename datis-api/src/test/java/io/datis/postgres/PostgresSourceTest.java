package io.datis.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.ConfigurationException;
import io.datis.postgres.internal.SourcePasswords;
import org.junit.jupiter.api.Test;

/** A source names every missing setting at once, and keeps its password to Datis's own code. */
class PostgresSourceTest {

  @Test
  void buildListsEveryMissingSettingWithItsFix() {
    assertThatThrownBy(() -> PostgresSource.builder().port(5433).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(
            "PostgresSource (3 problems):\n"
                + "  - host(...) is not set. Fix: call host(...) or jdbcUrl(...)\n"
                + "  - database(...) is not set. Fix: call database(...) or jdbcUrl(...)\n"
                + "  - user(...) is not set. Fix: call user(...)");
  }

  @Test
  void thePasswordIsReadableOnlyThroughTheInternalAccessorAndNeverPrinted() {
    PostgresSource source =
        PostgresSource.builder()
            .jdbcUrl("jdbc:postgresql://db.internal:5432/shop?sslmode=require")
            .user("datis")
            .password("s3cret")
            .build();

    assertThat(SourcePasswords.of(source)).isEqualTo("s3cret");
    assertThat(source.toString()).doesNotContain("s3cret").contains("password=<redacted>");
    assertThat(source)
        .isEqualTo(source.toBuilder().build())
        .isNotEqualTo(source.toBuilder().password("other").build());
  }
}
