package io.datis.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The README shows code that compiles: each of its Java snippets is a marked region of a sample.
 */
class ReadmeSnippetsTest {

  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)\n```", Pattern.DOTALL);

  /** Each marked region of a compiled sample, as the README must show it. */
  private static final List<String[]> REGIONS =
      List.of(
          new String[] {"src/main/java/io/datis/samples/quickstart/Quickstart.java", "quickstart"},
          new String[] {"src/main/java/io/datis/samples/pubsub/PubSubQuickstart.java", "pubsub"},
          new String[] {"src/main/java/io/datis/samples/snippets/ReadmeFragments.java", "one-line"},
          new String[] {
            "src/main/java/io/datis/samples/snippets/ReadmeFragments.java", "postgres-source"
          },
          new String[] {"src/main/java/io/datis/samples/snippets/ReadmeFragments.java", "snapshot"},
          new String[] {
            "src/test/java/io/datis/samples/integration/UsersPipelineIntegrationTest.java",
            "integration-test"
          },
          new String[] {
            "../datis-testkit/src/test/java/io/datis/testkit/TcpProxyTest.java", "tcp-proxy"
          },
          new String[] {
            "../datis-testkit/src/test/java/io/datis/testkit/DatisPostgresStandbyTest.java",
            "standby"
          });

  @Test
  void everyMarkedSampleRegionIsInTheReadme() throws IOException {
    String readme = readme();
    for (String[] region : REGIONS) {
      assertThat(readme)
          .as("README shows [%s]", region[1])
          .contains("```java\n" + snippet(region[0], region[1]) + "\n```");
    }
  }

  @Test
  void everyJavaSnippetOfTheReadmeComesFromACompiledSample() throws IOException {
    List<String> compiled = new ArrayList<>();
    for (String[] region : REGIONS) {
      compiled.add(snippet(region[0], region[1]));
    }
    Matcher block = JAVA_BLOCK.matcher(readme());
    int blocks = 0;
    while (block.find()) {
      blocks++;
      assertThat(compiled).as("a java block of the README").contains(block.group(1));
    }
    assertThat(blocks).as("java blocks in the README").isGreaterThanOrEqualTo(REGIONS.size());
  }

  private static String readme() throws IOException {
    return Files.readString(Path.of("../README.md"));
  }

  private static String snippet(String sample, String marker) throws IOException {
    String source = Files.readString(Path.of(sample));
    String line = "// [" + marker + "]\n";
    int start = source.indexOf(line);
    assertThat(start).as("marker %s in %s", line.strip(), sample).isNotNegative();
    int end = source.indexOf(line, start + line.length());
    assertThat(end).as("closing marker %s in %s", line.strip(), sample).isPositive();
    int lineStart = source.lastIndexOf('\n', start) + 1;
    String region = source.substring(start + line.length(), source.lastIndexOf('\n', end) + 1);
    int indent = start - lineStart;
    return region
        .lines()
        .map(text -> text.length() >= indent ? text.substring(indent) : text.strip())
        .collect(Collectors.joining("\n"))
        .strip();
  }
}
