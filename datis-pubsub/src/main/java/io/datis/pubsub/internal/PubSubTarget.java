package io.datis.pubsub.internal;

import com.google.api.gax.core.CredentialsProvider;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where a sink connects and with which credentials: Pub/Sub's global endpoint, a chosen endpoint or
 * region, or an emulator (chosen on the builder or by {@code PUBSUB_EMULATOR_HOST}).
 *
 * @param endpoint the endpoint to give the client, or {@code null} for the default one (or for an
 *     emulator)
 * @param emulatorHost the emulator's {@code host:port}, or {@code null} for Pub/Sub itself
 * @param credentials explicit credentials, or {@code null} for Application Default Credentials (or
 *     for an emulator, which takes none)
 * @param description where and how, for log lines and error messages
 */
public record PubSubTarget(
    @Nullable String endpoint,
    @Nullable String emulatorHost,
    @Nullable CredentialsProvider credentials,
    String description) {

  /** The environment variable that points Google's client libraries at an emulator. */
  public static final String EMULATOR_VARIABLE = "PUBSUB_EMULATOR_HOST";

  /** Pub/Sub's global endpoint, used when nothing else is chosen. */
  static final String GLOBAL_ENDPOINT = "pubsub.googleapis.com:443";

  /**
   * What a builder was given. At most one of {@code endpoint}, {@code region} and {@code emulator}
   * may be set; {@code environmentEmulator} is the value of {@value #EMULATOR_VARIABLE}, if set.
   */
  public record Choice(
      @Nullable String endpoint,
      @Nullable String region,
      @Nullable String emulator,
      @Nullable CredentialsProvider credentials,
      @Nullable String environmentEmulator) {

    /** Every contradiction in the choice, each with its fix; empty if there is none. */
    public List<String> conflicts() {
      List<String> conflicts = new ArrayList<>();
      List<String> places = new ArrayList<>();
      if (endpoint != null) {
        places.add("endpoint(\"" + endpoint + "\")");
      }
      if (region != null) {
        places.add("region(\"" + region + "\")");
      }
      if (emulator != null) {
        places.add("emulator(\"" + emulator + "\")");
      }
      if (places.size() > 1) {
        conflicts.add(
            String.join(" and ", places)
                + " each choose where the sink connects. Fix: call only one of them");
      }
      if (emulator != null && credentials != null) {
        conflicts.add(
            "credentials(...) was given with emulator(\""
                + emulator
                + "\"), which takes no credentials. Fix: remove credentials(...) for the"
                + " emulator, or emulator(...) to reach Pub/Sub");
      }
      if (emulator == null && environmentEmulator != null) {
        List<String> explicit = new ArrayList<>();
        if (endpoint != null) {
          explicit.add("endpoint(...)");
        }
        if (region != null) {
          explicit.add("region(...)");
        }
        if (credentials != null) {
          explicit.add("credentials(...)");
        }
        if (!explicit.isEmpty()) {
          conflicts.add(
              EMULATOR_VARIABLE
                  + "="
                  + environmentEmulator
                  + " points the sink at an emulator, but "
                  + String.join(" and ", explicit)
                  + " was given for Pub/Sub itself. Fix: unset "
                  + EMULATOR_VARIABLE
                  + " in this environment, or remove "
                  + String.join(" and ", explicit));
        }
      }
      return conflicts;
    }

    /**
     * The target this choice makes; call only when {@link #conflicts()} is empty. An explicit
     * emulator wins over {@value #EMULATOR_VARIABLE}.
     */
    public PubSubTarget target() {
      if (emulator != null) {
        return new PubSubTarget(
            null, emulator, null, emulator + " (emulator(...): plaintext, no credentials)");
      }
      if (environmentEmulator != null) {
        return new PubSubTarget(
            null,
            environmentEmulator,
            null,
            environmentEmulator
                + " (emulator from "
                + EMULATOR_VARIABLE
                + ": plaintext, no credentials)");
      }
      String chosen = endpoint != null ? endpoint : region != null ? regional(region) : null;
      String how =
          credentials != null
              ? "the credentials given to credentials(...)"
              : "Application Default Credentials";
      return new PubSubTarget(
          chosen, null, credentials, (chosen != null ? chosen : GLOBAL_ENDPOINT) + " with " + how);
    }
  }

  /** A regional endpoint, which keeps messages in that region. */
  static String regional(String region) {
    return region + "-pubsub.googleapis.com:443";
  }
}
