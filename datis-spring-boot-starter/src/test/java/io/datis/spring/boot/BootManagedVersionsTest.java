package io.datis.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The libraries this module is tested with are the versions Spring Boot's BOM gives an application
 * (see the comment in this module's pom): a bump of the Boot version, or of a version in
 * datis-parent, that lets the two drift apart fails here.
 */
class BootManagedVersionsTest {

  private static final Pattern PROPERTY = Pattern.compile("<([a-zA-Z0-9.-]+)>([^<]+)</\\1>");

  @Test
  void testsWithTheVersionsSpringBootsBomManages() throws Exception {
    String bomPath = System.getProperty("datis.spring-boot-bom");
    assertThat(bomPath).as("system property datis.spring-boot-bom (set by the pom)").isNotNull();
    Map<String, String> bom = properties(Files.readString(Path.of(bomPath)));
    String bootVersion = Path.of(bomPath).getParent().getFileName().toString();

    Map<Class<?>, String> expected = new LinkedHashMap<>();
    expected.put(org.springframework.boot.SpringApplication.class, bootVersion);
    expected.put(
        org.springframework.context.ApplicationContext.class, bom.get("spring-framework.version"));
    expected.put(io.micrometer.core.instrument.MeterRegistry.class, bom.get("micrometer.version"));
    expected.put(io.micrometer.common.KeyValue.class, bom.get("micrometer.version"));
    expected.put(
        io.micrometer.prometheusmetrics.PrometheusMeterRegistry.class,
        bom.get("micrometer.version"));
    expected.put(
        com.fasterxml.jackson.databind.ObjectMapper.class, bom.get("jackson-2-bom.version"));
    expected.put(com.fasterxml.jackson.core.JsonFactory.class, bom.get("jackson-2-bom.version"));
    expected.put(tools.jackson.databind.ObjectMapper.class, bom.get("jackson-bom.version"));
    expected.put(org.slf4j.Logger.class, bom.get("slf4j.version"));
    expected.put(org.slf4j.bridge.SLF4JBridgeHandler.class, bom.get("slf4j.version"));
    expected.put(ch.qos.logback.classic.Logger.class, bom.get("logback.version"));
    expected.put(ch.qos.logback.core.Appender.class, bom.get("logback.version"));
    expected.put(org.postgresql.Driver.class, bom.get("postgresql.version"));
    expected.put(org.junit.jupiter.api.Test.class, bom.get("junit-jupiter.version"));
    expected.put(org.assertj.core.api.Assertions.class, bom.get("assertj.version"));
    expected.put(org.awaitility.Awaitility.class, bom.get("awaitility.version"));

    Map<String, String> actual = new LinkedHashMap<>();
    Map<String, String> wanted = new LinkedHashMap<>();
    for (Map.Entry<Class<?>, String> entry : expected.entrySet()) {
      assertThat(entry.getValue()).as("BOM version for " + entry.getKey()).isNotNull();
      actual.put(entry.getKey().getName(), versionOf(entry.getKey()));
      wanted.put(entry.getKey().getName(), entry.getValue());
    }
    assertThat(actual).isEqualTo(wanted);
  }

  private static Map<String, String> properties(String pom) {
    int start = pom.indexOf("<properties>");
    int end = pom.indexOf("</properties>");
    Map<String, String> properties = new LinkedHashMap<>();
    Matcher matcher = PROPERTY.matcher(pom.substring(start, end));
    while (matcher.find()) {
      properties.put(matcher.group(1), matcher.group(2).strip());
    }
    return properties;
  }

  /** The version directory of the jar in the local Maven repository the class comes from. */
  private static String versionOf(Class<?> type) throws URISyntaxException, IOException {
    Path jar = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(Files.isRegularFile(jar)).as(type + " from a jar: " + jar).isTrue();
    return jar.getParent().getFileName().toString();
  }
}
