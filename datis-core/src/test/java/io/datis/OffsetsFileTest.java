package io.datis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.datis.api.SourceException;
import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Operation;
import io.datis.testkit.DatisPostgres;
import io.datis.testkit.InMemorySink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default offsets file: a damaged file is never read as "no offsets" (which, under
 * SnapshotMode.INITIAL, read every table again): the pipeline resumes from the previous copy, or
 * fails saying how to fix it.
 */
class OffsetsFileTest {

  @RegisterExtension static final DatisPostgres pg = DatisPostgres.embedded().withDatabasePerTest();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path directory;

  @Test
  void aDamagedOffsetsFileResumesFromItsPreviousCopyWithoutReadingTheTablesAgain()
      throws Exception {
    pg.execute(
        "CREATE TABLE public.items (id int PRIMARY KEY)",
        "INSERT INTO public.items VALUES (1), (2)");
    Path file = directory.resolve("items.offsets");
    InMemorySink first = new InMemorySink();
    try (Pipeline pipeline = start(file, first)) {
      first.awaitEvents(2, TIMEOUT); // the snapshot
      pg.execute("INSERT INTO public.items VALUES (3)");
      first.awaitEvents(3, TIMEOUT);
      pg.execute("INSERT INTO public.items VALUES (4)");
      first.awaitEvents(4, TIMEOUT);
    }
    cutInHalf(file);
    pg.execute("INSERT INTO public.items VALUES (5)");

    InMemorySink second = new InMemorySink();
    try (Pipeline pipeline = start(file, second)) {
      List<ChangeEvent> events = second.awaitEvents(event -> idsOf(event).contains(5), TIMEOUT);

      assertThat(events).extracting(ChangeEvent::operation).doesNotContain(Operation.SNAPSHOT_READ);
      // From the previous copy: at most the last committed transaction again, then what is new.
      assertThat(idsOf(events)).endsWith(5).isSubsetOf(4, 5);
    }
  }

  @Test
  void aDamagedOffsetsFileWithoutPreviousCopyFailsTheStartWithTheFix() throws Exception {
    pg.execute(
        "CREATE TABLE public.items (id int PRIMARY KEY)", "INSERT INTO public.items VALUES (1)");
    Path file = directory.resolve("items.offsets");
    InMemorySink first = new InMemorySink();
    try (Pipeline pipeline = start(file, first)) {
      first.awaitEvents(1, TIMEOUT);
    }
    cutInHalf(file);
    Files.deleteIfExists(directory.resolve("items.offsets.previous"));

    assertThatThrownBy(() -> start(file, new InMemorySink()))
        .isInstanceOf(SourceException.class)
        .hasMessage(
            "Cannot read the stored offsets of OffsetStore.file("
                + file
                + "): The offsets file "
                + file
                + " cannot be read (java.io.EOFException) and has no previous copy. Starting without offsets would"
                + " read the tables again or skip changes. Fix: restore the file from a backup; or, to start the"
                + " pipeline afresh, delete the offsets file and its .previous and .slot files");
  }

  private static Pipeline start(Path file, InMemorySink sink) {
    return Datis.capture(pg.source())
        .name("items")
        .tables("public.items")
        .snapshot(SnapshotMode.INITIAL)
        .offsets(OffsetStore.file(file))
        .to(sink)
        .start();
  }

  private static void cutInHalf(Path file) throws Exception {
    byte[] content = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(content, content.length / 2));
  }

  private static List<Integer> idsOf(List<ChangeEvent> events) {
    return events.stream().flatMap(event -> idsOf(event).stream()).toList();
  }

  private static List<Integer> idsOf(ChangeEvent event) {
    return event.after().map(row -> List.of((Integer) row.get("id"))).orElse(List.of());
  }
}
