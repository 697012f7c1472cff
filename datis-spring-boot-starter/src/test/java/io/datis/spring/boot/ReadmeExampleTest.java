package io.datis.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.datis.api.transform.Transforms;
import io.datis.testkit.InMemorySink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

/**
 * The {@code application.yml} of the README's "Spring Boot" section is {@code
 * readme/application.yml}, and an application with its beans starts with it.
 */
class ReadmeExampleTest {

  private static final Pattern YAML_BLOCK =
      Pattern.compile("## Spring Boot\n.*?```yaml\n(.*?)```", Pattern.DOTALL);

  @Test
  void theReadmeShowsTheTestedExample() throws Exception {
    String readme = Files.readString(Path.of("../README.md"));
    Matcher block = YAML_BLOCK.matcher(readme);
    assertThat(block.find()).as("a yaml block in the README's Spring Boot section").isTrue();
    String example =
        new String(
            new ClassPathResource("readme/application.yml").getInputStream().readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
    assertThat(block.group(1)).isEqualTo(example);
  }

  @Test
  void anApplicationStartsWithTheExample() throws Exception {
    List<PropertySource<?>> yaml =
        new YamlPropertySourceLoader()
            .load("readme", new ClassPathResource("readme/application.yml"));
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DatisAutoConfiguration.class))
        .withInitializer(
            context -> yaml.forEach(context.getEnvironment().getPropertySources()::addLast))
        .withPropertyValues("DATIS_PASSWORD=secret", "datis.auto-startup=false")
        .withBean(
            "maskEmails",
            io.datis.api.transform.Transform.class,
            () -> Transforms.maskColumns(value -> "***", "email"))
        .withBean("auditSink", InMemorySink.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBean(DatisPipelines.class).names())
                  .containsExactly("orders", "audit");
            });
  }
}
