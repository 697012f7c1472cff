package io.datis.api;

import java.util.List;

/**
 * A pipeline or sink was configured wrongly. The message lists every problem found, each with its
 * fix, so that all of them can be corrected at once.
 */
public final class ConfigurationException extends DatisException {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /** Creates an exception for the given problems (at least one). */
  public ConfigurationException(String subject, List<String> problems) {
    super(format(subject, problems), null);
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("problems must not be empty");
    }
    this.problems = List.copyOf(problems);
  }

  /** Each problem found, in the order checked. */
  public List<String> problems() {
    return problems;
  }

  private static String format(String subject, List<String> problems) {
    if (problems.size() == 1) {
      return subject + ": " + problems.get(0);
    }
    StringBuilder message =
        new StringBuilder(subject).append(" (").append(problems.size()).append(" problems):");
    for (String problem : problems) {
      message.append("\n  - ").append(problem);
    }
    return message.toString();
  }
}
