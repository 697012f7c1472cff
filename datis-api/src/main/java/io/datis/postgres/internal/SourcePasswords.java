package io.datis.postgres.internal;

import io.datis.postgres.PostgresSource;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Reads a {@link PostgresSource}'s password for the code that logs in with it. The password is not
 * part of the source's public API, so that it is not read, logged or passed on by accident.
 */
public final class SourcePasswords {

  private static @Nullable Function<PostgresSource, String> reader;

  private SourcePasswords() {}

  /** Called once, by {@link PostgresSource} itself. */
  public static synchronized void register(Function<PostgresSource, String> passwordReader) {
    if (reader != null) {
      throw new IllegalStateException("the password reader is already registered");
    }
    reader = Objects.requireNonNull(passwordReader, "passwordReader");
  }

  /** The source's password; empty when none was given. */
  public static String of(PostgresSource source) {
    Objects.requireNonNull(source, "source");
    Function<PostgresSource, String> registered;
    synchronized (SourcePasswords.class) {
      registered = reader;
    }
    // An instance exists, so PostgresSource's static initializer has registered the reader.
    return Objects.requireNonNull(registered, "password reader").apply(source);
  }
}
