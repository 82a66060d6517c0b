package dev.hamij.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads JSON annotation values the way Go's {@code encoding/json} unmarshals them into HAMi's
 * structs: keys match exactly or case-insensitively, unknown keys and {@code null} values are
 * ignored, numbers must be integers of the target range, and every problem becomes a
 * {@link HamiFormatException} naming the annotation, the object and the element.
 */
final class GoJson {
  private static final JsonMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private final String subject;
  private final String object;

  GoJson(String subject, String object) {
    this.subject = subject;
    this.object = object;
  }

  HamiFormatException error(String detail) {
    return new HamiFormatException(subject, object, detail);
  }

  /** Parses a whole value; syntax errors become {@link HamiFormatException}. */
  JsonNode parse(String value) {
    try {
      JsonNode node = MAPPER.readTree(value);
      if (node == null || node.isMissingNode()) {
        throw error("invalid JSON: unexpected end of JSON input");
      }
      return node;
    } catch (JacksonException e) {
      throw new HamiFormatException(subject, object, "invalid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The elements of a top-level array; JSON {@code null} is an empty array as in Go. */
  List<JsonNode> array(JsonNode node, String what) {
    if (node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw error("expected a JSON array of " + what + ", got " + describe(node));
    }
    return List.copyOf(node.values());
  }

  /**
   * The known fields of an object, keyed by their canonical name: an exact key match or else a
   * case-insensitive one (Go's rule); later keys win; {@code null} values count as absent.
   */
  Map<String, JsonNode> fields(JsonNode node, String where, List<String> known) {
    if (!node.isObject()) {
      throw error(where + ": expected a JSON object, got " + describe(node));
    }
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String canonical = canonicalKey(e.getKey(), known);
      if (canonical != null && !e.getValue().isNull()) {
        out.put(canonical, e.getValue()); // a null leaves the field as it was, like Go
      }
    }
    return out;
  }

  private static String canonicalKey(String key, List<String> known) {
    if (known.contains(key)) {
      return key;
    }
    for (String k : known) {
      if (k.equalsIgnoreCase(key)) {
        return k;
      }
    }
    return null;
  }

  /** A string field; absent is {@code ""}. */
  String string(Map<String, JsonNode> fields, String key, String where) {
    JsonNode n = fields.get(key);
    if (n == null) {
      return "";
    }
    if (!n.isString()) {
      throw error(where + ": field \"" + key + "\" must be a string, got " + describe(n));
    }
    return n.stringValue();
  }

  /** An integer field within {@code [min, max]}; absent is 0. */
  long integer(Map<String, JsonNode> fields, String key, String where, long min, long max) {
    JsonNode n = fields.get(key);
    if (n == null) {
      return 0;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
      throw error(where + ": field \"" + key + "\" must be an integer between " + min + " and " + max
          + ", got " + describe(n));
    }
    return n.longValue();
  }

  /** A boolean field; absent is {@code false}. */
  boolean bool(Map<String, JsonNode> fields, String key, String where) {
    JsonNode n = fields.get(key);
    if (n == null) {
      return false;
    }
    if (!n.isBoolean()) {
      throw error(where + ": field \"" + key + "\" must be true or false, got " + describe(n));
    }
    return n.booleanValue();
  }

  static String describe(JsonNode n) {
    String text = n.toString();
    return text.length() > 60 ? text.substring(0, 57) + "..." : text;
  }
}
