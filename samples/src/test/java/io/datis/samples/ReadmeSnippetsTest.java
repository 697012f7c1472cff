package io.datis.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README shows code that compiles: its quickstart snippet is the marked region of Quickstart.java. */
class ReadmeSnippetsTest {

  @Test
  void readmeQuickstartSnippetIsTheCompiledSample() throws Exception {
    String source =
        Files.readString(Path.of("src/main/java/io/datis/samples/quickstart/Quickstart.java"));
    String marker = "// [quickstart]\n";
    int start = source.indexOf(marker) + marker.length();
    int end = source.indexOf(marker, start);
    String snippet =
        source.substring(start, end).lines()
            .map(line -> line.length() >= 6 ? line.substring(6) : line.strip())
            .collect(Collectors.joining("\n"))
            .strip();

    String readme = Files.readString(Path.of("../README.md"));

    assertThat(readme).contains("```java\n" + snippet + "\n```");
  }
}
