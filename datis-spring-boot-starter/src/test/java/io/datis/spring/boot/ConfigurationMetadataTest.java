package io.datis.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configuration processor documents Datis's properties for IDEs. Spring Boot's metadata cannot
 * describe the values of a map, so {@code datis.pipelines} is one entry whose description lists the
 * per-pipeline properties.
 */
class ConfigurationMetadataTest {

  @Test
  void describesTheMainProperties() throws Exception {
    JsonNode metadata;
    try (InputStream json =
        getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(json).as("META-INF/spring-configuration-metadata.json").isNotNull();
      metadata = JsonMapper.builder().build().readTree(json);
    }
    Map<String, JsonNode> properties = new HashMap<>();
    for (JsonNode property : metadata.get("properties")) {
      properties.put(property.get("name").asString(), property);
    }
    assertThat(properties)
        .containsKeys(
            "datis.enabled",
            "datis.auto-startup",
            "datis.stop-application-on-pipeline-failure",
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
    assertThat(properties.get("datis.source.user").get("description").asString())
        .contains("REPLICATION");
    assertThat(properties.get("datis.pipelines").get("type").asString())
        .isEqualTo("java.util.Map<java.lang.String,io.datis.spring.boot.DatisProperties$Pipeline>");
    assertThat(properties.get("datis.pipelines").get("description").asString())
        .contains("tables", "pubsub", "offsets", "close-timeout", "transforms", "sink");
  }
}
