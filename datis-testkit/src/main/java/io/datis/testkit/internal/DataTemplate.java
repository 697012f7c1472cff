package io.datis.testkit.internal;

import io.datis.testkit.DatisPostgres.FixtureException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A data directory initialised once per machine by {@code initdb} and copied for every server:
 * copying takes a fraction of a second, {@code initdb} one or two seconds.
 */
final class DataTemplate {

  private static final Logger LOG = LoggerFactory.getLogger(DataTemplate.class);

  /**
   * Change when the initdb arguments or pg_hba.conf below change, so that old templates are not
   * used.
   */
  private static final String LAYOUT_VERSION = "1";

  /** Password authentication over TCP for normal and replication connections; no Unix socket. */
  private static final String PG_HBA =
      "# Written by DatisPostgres\n"
          + "local all         all trust\n"
          + "local replication all trust\n"
          + "host  all         all 127.0.0.1/32 scram-sha-256\n"
          + "host  replication all 127.0.0.1/32 scram-sha-256\n"
          + "host  all         all ::1/128      scram-sha-256\n"
          + "host  replication all ::1/128      scram-sha-256\n";

  private DataTemplate() {}

  /**
   * Returns the template's data directory for these binaries and credentials, creating it if
   * needed.
   */
  static Path obtain(
      Path base, Path installDir, ProcessRunner runner, String superuser, String password)
      throws IOException {
    String name =
        "template-"
            + installDir.getFileName()
            + "-"
            + sha256(LAYOUT_VERSION + "\0" + superuser + "\0" + password).substring(0, 12);
    Path entry =
        MachineCache.obtain(
            base, name, dir -> initdb(dir, installDir.resolve("bin"), runner, superuser, password));
    return entry.resolve("data");
  }

  private static void initdb(
      Path dir, Path binDir, ProcessRunner runner, String superuser, String password)
      throws IOException {
    long startNanos = System.nanoTime();
    String runAs = runner.runAs();
    Path passwordFile = dir.resolve("password");
    Files.writeString(passwordFile, password + "\n");
    if (runAs != null) {
      Directories.chown(dir, runAs);
      Directories.chown(passwordFile, runAs);
    }
    ProcessRunner.Result initdb =
        runner.run(
            List.of(
                binDir.resolve(PostgresBinaries.executable("initdb")).toString(),
                "--pgdata=" + dir.resolve("data"),
                "--username=" + superuser,
                "--pwfile=" + passwordFile,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions"),
            dir,
            Duration.ofMinutes(2));
    Files.deleteIfExists(passwordFile);
    if (!initdb.succeeded()) {
      String hint =
          runAs != null && initdb.output().contains("ermission denied")
              ? ". The JVM runs as root, so PostgreSQL runs as the OS user '"
                  + runAs
                  + "', who must be able to enter every parent directory of "
                  + dir.getParent()
                  + ": make them world-readable, or choose another directory with -D"
                  + Directories.BASE_DIR_PROPERTY
                  + "=<dir>"
              : "";
      throw new FixtureException(
          "initdb failed (exit " + initdb.exitCode() + ")" + hint + ":\n" + initdb.output(), null);
    }
    // Rewriting an existing file keeps its owner, as PostgreSQL expects.
    Files.writeString(dir.resolve("data").resolve("pg_hba.conf"), PG_HBA, StandardCharsets.UTF_8);
    LOG.debug(
        "Initialised the data directory template in {} ms",
        (System.nanoTime() - startNanos) / 1_000_000);
  }

  /**
   * Copies the template to {@code target}, which must not exist, keeping permissions (PostgreSQL
   * insists on a 0700 data directory), and gives every copy to {@code owner} if not null.
   */
  static void copy(Path template, Path target, @Nullable String owner) throws IOException {
    UserPrincipal principal =
        owner == null
            ? null
            : FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(owner);
    Files.walkFileTree(
        template,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            copyOne(dir, target.resolve(template.relativize(dir).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            copyOne(file, target.resolve(template.relativize(file).toString()));
            return FileVisitResult.CONTINUE;
          }

          private void copyOne(Path from, Path to) throws IOException {
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            if (principal != null) {
              Files.getFileAttributeView(
                      to, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                  .setOwner(principal);
            }
          }
        });
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("Every JVM has SHA-256", e);
    }
  }
}
