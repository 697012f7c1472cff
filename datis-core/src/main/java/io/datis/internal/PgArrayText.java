package io.datis.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Reads an array in PostgreSQL's text form ({@code {1,2,NULL}}, {@code {{a,"b c"},{d,e}}}, {@code
 * [0:1]={x,y}}) into lists: one list per dimension, each element turned into its Java value by the
 * given function, {@code NULL} into {@code null}. Lower bounds other than 1 are not kept.
 */
final class PgArrayText {

  private final String text;
  private final char delimiter;
  private final Function<String, Object> element;
  private int at;

  private PgArrayText(String text, char delimiter, Function<String, Object> element) {
    this.text = text;
    this.delimiter = delimiter;
    this.element = element;
  }

  /**
   * The array's elements, nested for each dimension.
   *
   * @param delimiter the element type's delimiter ({@code typdelim}): {@code ,} but for {@code box}
   * @throws IllegalArgumentException if the text is not an array
   */
  static List<@Nullable Object> parse(
      String text, char delimiter, Function<String, Object> element) {
    PgArrayText parser = new PgArrayText(text, delimiter, element);
    parser.skipDimensions();
    List<@Nullable Object> values = parser.list();
    parser.skipSpaces();
    if (parser.at != text.length()) {
      throw parser.unexpected("the end");
    }
    return values;
  }

  private void skipDimensions() {
    skipSpaces();
    if (at < text.length() && text.charAt(at) == '[') {
      int equals = text.indexOf('=', at);
      if (equals < 0) {
        throw unexpected("'=' after the dimensions");
      }
      at = equals + 1;
      skipSpaces();
    }
  }

  private List<@Nullable Object> list() {
    expect('{');
    List<@Nullable Object> values = new ArrayList<>();
    skipSpaces();
    if (peek() == '}') {
      at++;
      return Collections.unmodifiableList(values);
    }
    while (true) {
      skipSpaces();
      char c = peek();
      if (c == '{') {
        values.add(list());
      } else if (c == '"') {
        values.add(element.apply(quoted()));
      } else {
        String bare = bare();
        values.add("NULL".equalsIgnoreCase(bare) ? null : element.apply(bare));
      }
      skipSpaces();
      char next = peek();
      at++;
      if (next == '}') {
        return Collections.unmodifiableList(values);
      }
      if (next != delimiter) {
        at--;
        throw unexpected("'" + delimiter + "' or '}'");
      }
    }
  }

  private String quoted() {
    at++; // the opening quote
    StringBuilder value = new StringBuilder();
    while (true) {
      char c = peek();
      at++;
      if (c == '"') {
        return value.toString();
      }
      if (c == '\\') {
        c = peek();
        at++;
      }
      value.append(c);
    }
  }

  private String bare() {
    int start = at;
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c == delimiter || c == '}') {
        break;
      }
      at++;
    }
    return text.substring(start, at).strip();
  }

  private void expect(char c) {
    if (peek() != c) {
      throw unexpected("'" + c + "'");
    }
    at++;
  }

  private char peek() {
    if (at >= text.length()) {
      throw unexpected("more");
    }
    return text.charAt(at);
  }

  private void skipSpaces() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }

  private IllegalArgumentException unexpected(String expected) {
    return new IllegalArgumentException(
        "Unexpected array text from PostgreSQL at character "
            + at
            + " of "
            + text.length()
            + ": expected "
            + expected);
  }
}
