package io.datis.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.pubsub.v1.TopicName;
import io.datis.api.ConfigurationException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where a sink connects is chosen once: contradicting choices fail {@code build()} with every
 * conflict and its fix, instead of the last call or an environment variable silently winning.
 */
class PubSubSinkBuilderTest {

  private static final TopicName TOPIC = TopicName.of("shop", "orders-cdc");
  private static final Map<String, String> NO_EMULATOR = Map.of();
  private static final Map<String, String> EMULATOR_VARIABLE =
      Map.of("PUBSUB_EMULATOR_HOST", "localhost:8085");
  private static final CredentialsProvider CREDENTIALS = NoCredentialsProvider.create();

  @Test
  void endpointRegionAndEmulatorAreOneChoice() {
    assertThatThrownBy(
            () ->
                PubSubSink.builder(TOPIC, NO_EMULATOR)
                    .endpoint("europe-west1-pubsub.googleapis.com:443")
                    .region("us-east1")
                    .emulator("localhost:8085")
                    .build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("PubSubSink for projects/shop/topics/orders-cdc")
        .hasMessageContaining(
            "endpoint(\"europe-west1-pubsub.googleapis.com:443\") and region(\"us-east1\") and"
                + " emulator(\"localhost:8085\") each choose where the sink connects")
        .hasMessageContaining("Fix: call only one of them");
  }

  @Test
  void anEmulatorTakesNoCredentials() {
    ConfigurationException failure =
        catchConfiguration(
            PubSubSink.builder(TOPIC, NO_EMULATOR)
                .emulator("localhost:8085")
                .credentials(CREDENTIALS));

    assertThat(failure.problems())
        .singleElement(STRING)
        .contains("credentials(...) was given with emulator(\"localhost:8085\")")
        .contains("Fix: remove credentials(...)");
  }

  @Test
  void theEmulatorVariableDoesNotSilentlyOverrideExplicitChoices() {
    ConfigurationException failure =
        catchConfiguration(
            PubSubSink.builder(TOPIC, EMULATOR_VARIABLE)
                .region("europe-west1")
                .credentials(CREDENTIALS));

    assertThat(failure.problems())
        .singleElement(STRING)
        .startsWith("PUBSUB_EMULATOR_HOST=localhost:8085 points the sink at an emulator")
        .contains("region(...) and credentials(...) was given for Pub/Sub itself")
        .contains("Fix: unset PUBSUB_EMULATOR_HOST in this environment");
  }

  @Test
  void everyConflictIsListedAtOnce() {
    ConfigurationException failure =
        catchConfiguration(
            PubSubSink.builder(TOPIC, EMULATOR_VARIABLE)
                .endpoint("pubsub.googleapis.com:443")
                .region("us-east1")
                .credentials(CREDENTIALS));

    assertThat(failure.problems()).hasSize(2);
  }

  @Test
  void aSinkSaysWhereItConnectsAndWithWhichCredentials() {
    assertThat(PubSubSink.builder(TOPIC, NO_EMULATOR).build())
        .hasToString(
            "PubSubSink{projects/shop/topics/orders-cdc via pubsub.googleapis.com:443 with"
                + " Application Default Credentials}");
    assertThat(PubSubSink.builder(TOPIC, NO_EMULATOR).region("europe-west1").build())
        .hasToString(
            "PubSubSink{projects/shop/topics/orders-cdc via"
                + " europe-west1-pubsub.googleapis.com:443 with Application Default Credentials}");
    assertThat(
            PubSubSink.builder(TOPIC, NO_EMULATOR)
                .endpoint("private.googleapis.com:443")
                .credentials(CREDENTIALS)
                .build())
        .hasToString(
            "PubSubSink{projects/shop/topics/orders-cdc via private.googleapis.com:443 with the"
                + " credentials given to credentials(...)}");
    assertThat(PubSubSink.builder(TOPIC, EMULATOR_VARIABLE).build())
        .hasToString(
            "PubSubSink{projects/shop/topics/orders-cdc via localhost:8085 (emulator from"
                + " PUBSUB_EMULATOR_HOST: plaintext, no credentials)}");
  }

  @Test
  void anExplicitEmulatorWinsOverTheVariable() {
    assertThat(PubSubSink.builder(TOPIC, EMULATOR_VARIABLE).emulator("localhost:9999").build())
        .hasToString(
            "PubSubSink{projects/shop/topics/orders-cdc via localhost:9999 (emulator(...):"
                + " plaintext, no credentials)}");
  }

  private static ConfigurationException catchConfiguration(PubSubSink.Builder builder) {
    try {
      builder.build();
    } catch (ConfigurationException expected) {
      return expected;
    }
    throw new AssertionError("build() accepted " + builder);
  }
}
