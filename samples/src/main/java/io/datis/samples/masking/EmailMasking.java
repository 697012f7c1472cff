package io.datis.samples.masking;

import io.datis.api.event.ChangeEvent;
import io.datis.api.event.Unchanged;
import io.datis.api.transform.Transform;
import io.datis.api.transform.TransformResult;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * A custom transform: replaces every {@code email} column with a keyed hash (HMAC-SHA256), so that
 * consumers can still join on it but cannot read it, nor recover it by hashing guesses without the
 * key.
 *
 * <pre>{@code
 * Datis.capture(pg).tables("public.users").transform(new EmailMasking(secretKey)).to(sink).start();
 * }</pre>
 */
public final class EmailMasking implements Transform {

  private static final String COLUMN = "email";

  private final SecretKeySpec key;

  /** Masks with the given secret key (keep it out of the code, e.g. in a secret manager). */
  public EmailMasking(byte[] secretKey) {
    this.key = new SecretKeySpec(secretKey.clone(), "HmacSHA256");
  }

  @Override
  public TransformResult apply(ChangeEvent event) throws GeneralSecurityException {
    boolean hasEmail =
        event.after().map(row -> row.containsKey(COLUMN)).orElse(false)
            || event.before().map(row -> row.containsKey(COLUMN)).orElse(false);
    if (!hasEmail) {
      return TransformResult.keep();
    }
    return TransformResult.replace(
        event.toBuilder()
            .before(masked(event.before().orElse(null)))
            .after(masked(event.after().orElse(null)))
            .build());
  }

  @Override
  public String name() {
    return "mask-email";
  }

  private @Nullable Map<String, @Nullable Object> masked(
      @Nullable Map<String, @Nullable Object> row) throws GeneralSecurityException {
    if (row == null || !row.containsKey(COLUMN)) {
      return row;
    }
    Object email = row.get(COLUMN);
    if (email == null || email == Unchanged.VALUE) {
      return row;
    }
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(key);
    String hash =
        HexFormat.of()
            .formatHex(mac.doFinal(String.valueOf(email).getBytes(StandardCharsets.UTF_8)));
    Map<String, @Nullable Object> copy = new LinkedHashMap<>(row);
    copy.put(COLUMN, hash);
    return copy;
  }
}
