package io.datis.pubsub.internal;

import com.google.pubsub.v1.PubsubMessage;
import io.datis.api.event.ChangeEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attributes users add to every message: fixed ones, then the results of functions of the
 * event, in the order they were added (a later value wins for the same name). Names reserved by
 * Datis ({@link AttributeNames#isReserved}) are refused when fixed attributes are added, and
 * ignored (with one WARN log, then DEBUG) when a function returns them, so user attributes never
 * override Datis's. Immutable.
 */
public final class UserAttributes {

  private static final Logger LOG = LoggerFactory.getLogger(UserAttributes.class);
  private static final UserAttributes NONE = new UserAttributes(Map.of(), List.of());

  private final Map<String, String> fixed;
  private final List<Function<? super ChangeEvent, ? extends Map<String, String>>> functions;
  private final AtomicBoolean warnedReserved = new AtomicBoolean();

  private UserAttributes(
      Map<String, String> fixed,
      List<Function<? super ChangeEvent, ? extends Map<String, String>>> functions) {
    this.fixed = fixed;
    this.functions = functions;
  }

  /** No user attributes. */
  public static UserAttributes none() {
    return NONE;
  }

  /**
   * A copy with the given fixed attributes added (replacing earlier values of the same names).
   *
   * @throws IllegalArgumentException if a name is empty or reserved, or a value is null
   */
  public UserAttributes withFixed(Map<String, String> attributes) {
    Objects.requireNonNull(attributes, "attributes");
    List<String> problems = new ArrayList<>();
    TreeSet<String> reserved = new TreeSet<>();
    Map<String, String> merged = new LinkedHashMap<>(fixed);
    attributes.forEach(
        (name, value) -> {
          if (name == null || name.isEmpty()) {
            problems.add("attribute names must not be empty");
          } else if (value == null) {
            problems.add("attribute '" + name + "' has a null value; use \"\" or leave it out");
          } else if (AttributeNames.isReserved(name)) {
            reserved.add(name);
          } else {
            merged.put(name, value);
          }
        });
    if (!reserved.isEmpty()) {
      problems.add(
          "attribute names "
              + reserved
              + " are reserved (Datis sets datis-*, ce-* and content-type itself); rename them");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "Invalid message attributes: " + String.join("; ", problems));
    }
    return new UserAttributes(Map.copyOf(merged), functions);
  }

  /** A copy that also adds the attributes the function returns for each event. */
  public UserAttributes withFunction(
      Function<? super ChangeEvent, ? extends Map<String, String>> function) {
    Objects.requireNonNull(function, "function");
    List<Function<? super ChangeEvent, ? extends Map<String, String>>> all =
        new ArrayList<>(functions);
    all.add(function);
    return new UserAttributes(fixed, List.copyOf(all));
  }

  /** Whether there are no user attributes at all. */
  public boolean isEmpty() {
    return fixed.isEmpty() && functions.isEmpty();
  }

  /**
   * Puts the user attributes for this event into the message.
   *
   * @throws IllegalStateException if a function returns {@code null}, or an attribute with an empty
   *     name or a null value; the message names the event's table and position and the attribute's
   *     name, never its value
   */
  void putInto(PubsubMessage.Builder message, ChangeEvent event) {
    if (!fixed.isEmpty()) {
      message.putAllAttributes(fixed);
    }
    for (int i = 0; i < functions.size(); i++) {
      Map<String, String> computed = functions.get(i).apply(event);
      if (computed == null) {
        throw new IllegalStateException(
            "Attribute function #"
                + (i + 1)
                + " returned null for "
                + event
                + "; return Map.of() for no attributes");
      }
      for (Map.Entry<String, String> attribute : computed.entrySet()) {
        String name = attribute.getKey();
        String value = attribute.getValue();
        if (name == null || name.isEmpty() || value == null) {
          throw new IllegalStateException(
              "Attribute function #"
                  + (i + 1)
                  + " returned "
                  + (name == null || name.isEmpty()
                      ? "an attribute with an empty name"
                      : "a null value for attribute '" + name + "'")
                  + " for "
                  + event
                  + "; Pub/Sub attributes need a name and a value");
        }
        if (AttributeNames.isReserved(name)) {
          ignoreReserved(name, i);
        } else {
          message.putAttributes(name, value);
        }
      }
    }
  }

  private void ignoreReserved(String name, int function) {
    String text =
        "Attribute function #{} returned the reserved attribute '{}'; it is ignored (Datis sets"
            + " datis-*, ce-* and content-type itself). Rename it to keep it.";
    if (warnedReserved.compareAndSet(false, true)) {
      LOG.warn(text, function + 1, name);
    } else {
      LOG.debug(text, function + 1, name);
    }
  }

  @Override
  public String toString() {
    return "UserAttributes[fixed=" + fixed.keySet() + ", functions=" + functions.size() + "]";
  }
}
