package dev.hamij.api;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A position in a parsed configuration document: the node, its key path (e.g.
 * {@code nvidia.knownMigGeometries[0].models}) and the source file. Every read checks the type and
 * range and fails with a {@link HamiFormatException} naming the path, the file and the value.
 */
final class ConfigTree {
  private final JsonNode node;
  private final String path;
  private final String source;

  ConfigTree(JsonNode node, String path, String source) {
    this.node = node;
    this.path = path;
    this.source = source;
  }

  String path() {
    return path;
  }

  HamiFormatException error(String expected) {
    return new HamiFormatException(path.isEmpty() ? "(document)" : path, source,
        expected + ", got " + GoJson.describe(node));
  }

  private String childPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /**
   * The members of a mapping, keyed by their canonical name in {@code known}; unknown keys are
   * errors and {@code null} values count as absent.
   *
   * @param ignoreCase match keys case-insensitively (JSON documents read by Go do)
   */
  Map<String, ConfigTree> mapping(Collection<String> known, boolean ignoreCase) {
    if (!node.isObject()) {
      throw error("expected a mapping with keys " + String.join(", ", known));
    }
    Map<String, ConfigTree> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String canonical = canonical(e.getKey(), known, ignoreCase);
      if (canonical == null) {
        // an empty key (YAML "? " or "": 1) is shown quoted, so the message still names it
        throw new HamiFormatException(childPath(e.getKey().isEmpty() ? "\"\"" : e.getKey()), source,
            "unknown key (known keys here: " + String.join(", ", known) + ")");
      }
      if (out.containsKey(canonical)) {
        throw new HamiFormatException(childPath(e.getKey()), source, "key given twice (as " + canonical + ")");
      }
      if (!e.getValue().isNull()) {
        out.put(canonical, new ConfigTree(e.getValue(), childPath(canonical), source));
      }
    }
    return out;
  }

  private static String canonical(String key, Collection<String> known, boolean ignoreCase) {
    if (known.contains(key)) {
      return key;
    }
    if (ignoreCase) {
      for (String k : known) {
        if (k.equalsIgnoreCase(key)) {
          return k;
        }
      }
    }
    return null;
  }

  /** The member {@code key} of a mapping read with {@link #mapping}; missing is an error. */
  ConfigTree require(Map<String, ConfigTree> members, String key) {
    ConfigTree t = members.get(key);
    if (t == null) {
      throw new HamiFormatException(childPath(key), source, "required key is missing");
    }
    return t;
  }

  /** True for the empty string (an unset value in HAMi's JSON documents). */
  boolean isEmptyString() {
    return node.isString() && node.stringValue().isEmpty();
  }

  /** The elements of a sequence. */
  List<ConfigTree> sequence(String ofWhat) {
    if (!node.isArray()) {
      throw error("expected a list of " + ofWhat);
    }
    List<ConfigTree> out = new ArrayList<>(node.size());
    int i = 0;
    for (JsonNode n : node.values()) {
      out.add(new ConfigTree(n, path + "[" + i++ + "]", source));
    }
    return out;
  }

  int integer(long min, long max) {
    if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < min || node.longValue() > max) {
      throw error(max == Integer.MAX_VALUE ? "expected an integer >= " + min
          : "expected an integer between " + min + " and " + max);
    }
    return (int) node.longValue();
  }

  /** A finite number greater than {@code exclusiveMin} (or equal to it when {@code allowMin}). */
  double number(double exclusiveMin, boolean allowMin) {
    if (!node.isNumber() || !Double.isFinite(node.doubleValue())
        || node.doubleValue() < exclusiveMin || (!allowMin && node.doubleValue() == exclusiveMin)) {
      throw error("expected a number " + (allowMin ? ">= " : "> ") + trim(exclusiveMin));
    }
    return node.doubleValue();
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  boolean bool() {
    if (!node.isBoolean()) {
      throw error("expected true or false");
    }
    return node.booleanValue();
  }

  String string() {
    if (!node.isString()) {
      throw error("expected a string");
    }
    return node.stringValue();
  }

  String nonEmptyString() {
    String s = string();
    if (s.isEmpty()) {
      throw error("expected a non-empty string");
    }
    return s;
  }

  /** A string or an integer scalar, as text (for values such as log levels written unquoted). */
  String scalarText() {
    if (node.isIntegralNumber()) {
      return node.asString();
    }
    return string();
  }

  /** A string from a fixed set. */
  String oneOf(Collection<String> allowed) {
    String s = node.isString() ? node.stringValue() : null;
    if (s == null || !allowed.contains(s)) {
      throw error("expected one of " + String.join(", ", allowed));
    }
    return s;
  }

  /** A non-empty list of non-empty strings. */
  List<String> nonEmptyStrings(String ofWhat) {
    List<String> out = new ArrayList<>();
    for (ConfigTree t : sequence(ofWhat)) {
      out.add(t.nonEmptyString());
    }
    if (out.isEmpty()) {
      throw error("expected a non-empty list of " + ofWhat);
    }
    return out;
  }
}
