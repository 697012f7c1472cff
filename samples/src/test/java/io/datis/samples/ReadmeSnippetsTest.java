package io.datis.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README shows code that compiles: each of its Java snippets is a marked region of a sample. */
class ReadmeSnippetsTest {

  @Test
  void readmeQuickstartSnippetIsTheCompiledSample() throws Exception {
    assertReadmeShows("quickstart/Quickstart.java", "quickstart");
  }

  @Test
  void readmePubSubSnippetIsTheCompiledSample() throws Exception {
    assertReadmeShows("pubsub/PubSubQuickstart.java", "pubsub");
  }

  private static void assertReadmeShows(String sample, String marker) throws Exception {
    String source = Files.readString(Path.of("src/main/java/io/datis/samples/" + sample));
    String line = "// [" + marker + "]\n";
    int start = source.indexOf(line);
    assertThat(start).as("marker %s in %s", line.strip(), sample).isNotNegative();
    int end = source.indexOf(line, start + line.length());
    String region = source.substring(start + line.length(), source.lastIndexOf('\n', end) + 1);
    int indent = region.length() - region.stripLeading().length();
    String snippet =
        region.lines()
            .map(text -> text.length() >= indent ? text.substring(indent) : text.strip())
            .collect(Collectors.joining("\n"))
            .strip();

    String readme = Files.readString(Path.of("../README.md"));

    assertThat(readme).contains("```java\n" + snippet + "\n```");
  }
}
