package io.datis.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every public type of the testkit (and of datis-testkit-pubsub beside it) shows how to use it, in
 * a code snippet in its Javadoc.
 */
class UsageSnippetsTest {

  private static final Path SOURCES = Path.of("src/main/java/io/datis/testkit");
  private static final Path PUBSUB_SOURCES =
      Path.of("../datis-testkit-pubsub/src/main/java/io/datis/testkit/pubsub");

  private static final Pattern PUBLIC_TYPE =
      Pattern.compile(
          "(/\\*\\*(?:(?!\\*/).)*\\*/)?\\s*(?:@\\w+(?:\\([^)]*\\))?\\s*)*"
              + "public (?:static |final |abstract )*(?:class|interface|enum|record) (\\w+)",
          Pattern.DOTALL);

  @Test
  void everyPublicTypeHasAUsageSnippetInItsJavadoc() throws IOException {
    List<String> types = new ArrayList<>();
    List<String> withoutSnippet = new ArrayList<>();
    for (Path file : publicSources()) {
      Matcher type = PUBLIC_TYPE.matcher(Files.readString(file));
      while (type.find()) {
        String javadoc = type.group(1);
        types.add(type.group(2));
        if (javadoc == null || !javadoc.contains("<pre>{@code")) {
          withoutSnippet.add(file + ": " + type.group(2));
        }
      }
    }

    assertThat(types)
        .as("the scan finds the public types")
        .contains("DatisPostgres", "InMemorySink", "LocalPubSub", "FixtureException", "Builder");
    assertThat(withoutSnippet)
        .as("public types whose Javadoc has no <pre>{@code snippet")
        .isEmpty();
  }

  private static List<Path> publicSources() throws IOException {
    try (Stream<Path> files = Stream.concat(Files.walk(SOURCES), Files.walk(PUBSUB_SOURCES))) {
      return files
          .filter(file -> file.toString().endsWith(".java"))
          .filter(file -> !file.toString().contains("/internal/"))
          .filter(file -> !file.getFileName().toString().equals("package-info.java"))
          .sorted()
          .toList();
    }
  }
}
