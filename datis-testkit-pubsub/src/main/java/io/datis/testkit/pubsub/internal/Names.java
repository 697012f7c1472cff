package io.datis.testkit.pubsub.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Resource names, validated with the rules of the real Pub/Sub service. */
public final class Names {

  /** The topic of a subscription whose topic was deleted, as the real service reports it. */
  static final String DELETED_TOPIC = "_deleted-topic_";

  private static final Pattern PROJECT = Pattern.compile("projects/([^/\\s]+)");
  private static final Pattern RESOURCE =
      Pattern.compile("projects/([^/\\s]+)/(topics|subscriptions)/([^/]+)");
  private static final Pattern ID = Pattern.compile("[A-Za-z][A-Za-z0-9\\-_.~+%]{2,254}");
  private static final Pattern PROJECT_ID = Pattern.compile("[^/\\s]+");

  private Names() {}

  /** {@code projects/{project}/topics/{topic}}, checking both parts. */
  public static String topicPath(String project, String topic) {
    return path(project, "topics", "topic", topic);
  }

  /** {@code projects/{project}/subscriptions/{subscription}}, checking both parts. */
  public static String subscriptionPath(String project, String subscription) {
    return path(project, "subscriptions", "subscription", subscription);
  }

  private static String path(String project, String collection, String kind, String id) {
    if (!PROJECT_ID.matcher(project).matches()) {
      throw new IllegalArgumentException(
          "Project id '" + project + "' is invalid: it must be non-empty, without '/' or spaces");
    }
    if (!validId(id)) {
      throw new IllegalArgumentException(
          "The "
              + kind
              + " id '"
              + id
              + "' is invalid: Pub/Sub ids start with a letter, are 3 to 255 characters of"
              + " letters, digits and - _ . ~ + %, and do not start with 'goog'");
    }
    return "projects/" + project + "/" + collection + "/" + id;
  }

  /** Checks a topic resource name; throws INVALID_ARGUMENT if it is not one. */
  static String checkTopic(String name) {
    return check(name, "topics");
  }

  /** Checks a subscription resource name; throws INVALID_ARGUMENT if it is not one. */
  static String checkSubscription(String name) {
    return check(name, "subscriptions");
  }

  /** Checks a project resource name and returns it; throws INVALID_ARGUMENT if it is not one. */
  static String checkProject(String name) {
    if (!PROJECT.matcher(name).matches()) {
      throw RpcException.invalidArgument("Invalid [projects] name: (name=" + name + ")");
    }
    return name;
  }

  private static String check(String name, String collection) {
    Matcher matcher = RESOURCE.matcher(name);
    if (!matcher.matches() || !matcher.group(2).equals(collection) || !validId(matcher.group(3))) {
      throw RpcException.invalidArgument("Invalid [" + collection + "] name: (name=" + name + ")");
    }
    return name;
  }

  /** The {@code projects/{project}} part of a checked topic or subscription name. */
  static String projectOf(String name) {
    return name.substring(0, name.indexOf('/', "projects/".length()));
  }

  static String lastSegment(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  private static boolean validId(String id) {
    return ID.matcher(id).matches() && !id.regionMatches(true, 0, "goog", 0, 4);
  }
}
