package io.datis.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What IDEs learn from {@code META-INF/spring-configuration-metadata.json}: the configuration
 * processor's entries for {@link DatisProperties}, with the descriptions of its {@code @param}
 * tags, merged with {@code additional-spring-configuration-metadata.json}.
 *
 * <p>Spring Boot's metadata has no entries for the properties inside a map's values, so {@code
 * datis.pipelines} is one entry, typed as a map of {@link DatisProperties.Pipeline} (IDEs that read
 * that type complete the per-pipeline properties), whose description lists them.
 */
class ConfigurationMetadataTest {

  private static final Map<String, JsonNode> properties = new HashMap<>();
  private static final Map<String, JsonNode> hints = new HashMap<>();

  @BeforeAll
  static void readTheMetadata() throws Exception {
    JsonNode metadata;
    try (InputStream json =
        ConfigurationMetadataTest.class.getResourceAsStream(
            "/META-INF/spring-configuration-metadata.json")) {
      assertThat(json).as("META-INF/spring-configuration-metadata.json").isNotNull();
      metadata = JsonMapper.builder().build().readTree(json);
    }
    for (JsonNode property : metadata.get("properties")) {
      properties.put(property.get("name").asString(), property);
    }
    for (JsonNode hint : metadata.get("hints")) {
      hints.put(hint.get("name").asString(), hint);
    }
  }

  @Test
  void describesTheMainProperties() {
    assertThat(properties)
        .containsOnlyKeys(
            "datis.enabled",
            "datis.auto-startup",
            "datis.stop-application-on-pipeline-failure",
            "datis.exit-code-on-pipeline-failure",
            "datis.tracing.enabled",
            "datis.source.jdbc-url",
            "datis.source.host",
            "datis.source.port",
            "datis.source.database",
            "datis.source.user",
            "datis.source.password",
            "datis.source.connection-properties",
            "datis.pipelines");
    assertThat(
            properties
                .get("datis.stop-application-on-pipeline-failure")
                .get("defaultValue")
                .asBoolean())
        .isTrue();
    JsonNode exitCode = properties.get("datis.exit-code-on-pipeline-failure");
    assertThat(exitCode.get("type").asString()).isEqualTo("java.lang.Integer");
    assertThat(exitCode.get("defaultValue").asInt()).isEqualTo(1);
    assertThat(exitCode.get("description").asString()).contains("0 to 255", "main method");
    assertThat(properties.get("datis.source.port").get("defaultValue").asInt()).isEqualTo(5432);
    assertThat(properties.get("datis.source.user").get("description").asString())
        .contains("REPLICATION");
  }

  @Test
  void everyDescriptionIsPlainText() {
    for (JsonNode property : properties.values()) {
      String name = property.get("name").asString();
      assertThat(property.has("description")).as(name).isTrue();
      assertThat(property.get("description").asString())
          .as("the description of %s, which IDEs show as it is", name)
          .isNotBlank()
          .doesNotContain("{@", "<", ">", "&");
    }
  }

  /**
   * If this fails, Spring Boot's processor describes the properties inside a map's values at last
   * (spring-boot#9945): the README's sentence on IDE completion and this class are then out of
   * date.
   */
  @Test
  void thePipelinesAreOneMapEntryOfTheDocumentedRecord() {
    assertThat(properties.keySet()).noneMatch(name -> name.startsWith("datis.pipelines."));
    assertThat(properties.get("datis.pipelines").get("type").asString())
        .isEqualTo("java.util.Map<java.lang.String,io.datis.spring.boot.DatisProperties$Pipeline>");
  }

  @Test
  void theDescriptionOfThePipelinesListsEveryPerPipelineProperty() {
    String description = properties.get("datis.pipelines").get("description").asString();
    List<String> names = new ArrayList<>();
    for (RecordComponent component : DatisProperties.Pipeline.class.getRecordComponents()) {
      names.add(hyphenated(component.getName()));
    }
    for (RecordComponent component : DatisProperties.PubSub.class.getRecordComponents()) {
      names.add(hyphenated(component.getName()));
    }
    assertThat(names).hasSize(35);
    for (String name : names) {
      assertThat(description).as("the description of datis.pipelines").contains("`" + name);
    }
    assertThat(description)
        .contains(
            "`initial`, `changes-only`",
            "`file`, `postgres`, `in-memory`",
            "`fail`, `skip`, `dead-letter`");
  }

  @Test
  void suggestsThePostgresDriversUsualConnectionProperties() {
    JsonNode keys = hints.get("datis.source.connection-properties.keys");
    assertThat(keys).as("a hint for datis.source.connection-properties.keys").isNotNull();
    List<String> values = new ArrayList<>();
    for (JsonNode value : keys.get("values")) {
      values.add(value.get("value").asString());
      assertThat(value.get("description").asString()).isNotBlank();
    }
    assertThat(values)
        .containsExactly(
            "sslmode",
            "sslrootcert",
            "sslcert",
            "sslkey",
            "ApplicationName",
            "connectTimeout",
            "loginTimeout",
            "tcpKeepAlive",
            "options");
    assertThat(keys.get("providers").get(0).get("name").asString())
        .as("other driver properties are allowed too")
        .isEqualTo("any");
    assertThat(hints).containsOnlyKeys("datis.source.connection-properties.keys");
  }

  private static String hyphenated(String camelCase) {
    return camelCase.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
  }
}
