package io.datis.samples.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ClassPathResource;

/** The README's "Running the Datis service" section shows the service's real application.yml. */
class ReadmeServiceTest {

  private static final Pattern YAML_BLOCK =
      Pattern.compile("## Running the Datis service\n.*?```yaml\n(.*?)```", Pattern.DOTALL);

  @Test
  void theReadmeShowsTheServicesApplicationYml() throws Exception {
    Matcher block = YAML_BLOCK.matcher(Files.readString(Path.of("../README.md")));
    assertThat(block.find())
        .as("a yaml block in the README's section \"Running the Datis service\"")
        .isTrue();
    String applicationYml =
        new String(
            new ClassPathResource("application.yml").getInputStream().readAllBytes(),
            StandardCharsets.UTF_8);
    assertThat(block.group(1)).isEqualTo(applicationYml);
  }
}
