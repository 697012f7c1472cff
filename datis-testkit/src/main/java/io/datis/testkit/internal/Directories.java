package io.datis.testkit.internal;

import io.datis.testkit.DatisPostgres.FixtureException;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/** Where the fixture keeps its files, and the file-system chores around them. */
final class Directories {

  /** System property that overrides the base directory ({@code java.io.tmpdir} by default). */
  static final String BASE_DIR_PROPERTY = "datis.postgres.dir";

  static final Set<PosixFilePermission> WORLD_READABLE_DIR =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private Directories() {}

  /**
   * The base directory, {@code ${java.io.tmpdir}/datis-postgres-<user>}: one per OS user, so that
   * users sharing {@code /tmp} never share binaries. It must be owned by this user, since the
   * binaries in it are executed.
   */
  static Path base() throws IOException {
    String override = System.getProperty(BASE_DIR_PROPERTY);
    Path base;
    if (override != null && !override.isBlank()) {
      base = Path.of(override).toAbsolutePath();
    } else {
      String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
      base =
          Path.of(System.getProperty("java.io.tmpdir"))
              .toAbsolutePath()
              .resolve("datis-postgres-" + user);
    }
    Files.createDirectories(base);
    if (POSIX) {
      UserPrincipal owner = Files.getOwner(base);
      UserPrincipal me = currentUser();
      if (!owner.equals(me)) {
        throw new FixtureException(
            "The directory "
                + base
                + " belongs to '"
                + owner.getName()
                + "', not to '"
                + me.getName()
                + "', so the PostgreSQL binaries in it cannot be trusted. Delete it, or choose"
                + " another directory with -D"
                + BASE_DIR_PROPERTY
                + "=<dir>.",
            null);
      }
      // Readable by all: when the JVM runs as root, PostgreSQL runs as 'nobody' and must reach it.
      Files.setPosixFilePermissions(base, WORLD_READABLE_DIR);
    }
    return base;
  }

  /** This process's OS user, read from a fresh file so that it works without a passwd entry. */
  private static UserPrincipal currentUser() throws IOException {
    Path probe = Files.createTempFile("datis-postgres-", ".owner");
    try {
      return Files.getOwner(probe);
    } finally {
      Files.deleteIfExists(probe);
    }
  }

  static boolean isPosix() {
    return POSIX;
  }

  /** Gives a file or directory to {@code user} (only called when running as root). */
  static void chown(Path path, String user) throws IOException {
    UserPrincipal principal =
        FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(user);
    Files.setOwner(path, principal);
  }

  /** Deletes a directory tree, ignoring files that are already gone. */
  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE;
            }
            throw e;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null && !(e instanceof NoSuchFileException)) {
              throw e;
            }
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
