package dev.hamij.extender.sim;

import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Typed reads of one YAML mapping with errors that name the file and the key path
 * ({@code cluster.yaml: pools[1].gpus: expected a whole number, got "x"}); unknown keys are rejected.
 */
final class YamlFields {
  private static final YAMLMapper YAML = YAMLMapper.builder().build();
  /** A century: any arrival or duration beyond it is a mistake, and a million arrivals that far apart still fit a long. */
  private static final double MAX_DURATION_MILLIS = 36_500 * 86_400_000.0;
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  private final JsonNode node;
  private final String file;
  private final String path;

  private YamlFields(JsonNode node, String file, String path) {
    this.node = node;
    this.file = file;
    this.path = path;
  }

  /** The top-level mapping of a YAML file. */
  static YamlFields load(Path file, Set<String> allowed) throws InputError {
    JsonNode root;
    try {
      root = YAML.readTree(Files.readString(file));
    } catch (IOException | JacksonException e) {
      throw new InputError(file + ": not readable YAML: " + firstLine(e.getMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw new InputError(file + ": expected a YAML mapping at the top level");
    }
    YamlFields f = new YamlFields(root, file.toString(), "");
    f.allow(allowed);
    return f;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl > 0 ? s.substring(0, nl) : s;
  }

  InputError error(String key, String what) {
    return new InputError(file + ": " + where(key) + ": " + what);
  }

  private String where(String key) {
    return path.isEmpty() ? key : key.isEmpty() ? path : path + "." + key;
  }

  void allow(Set<String> allowed) throws InputError {
    for (String k : node.propertyNames()) {
      if (!allowed.contains(k)) {
        throw error(k, "unknown key (expected one of " + allowed.stream().sorted().toList() + ")");
      }
    }
  }

  boolean has(String key) {
    return node.has(key) && !node.get(key).isNull();
  }

  /** The list under {@code key} as mappings, each allowing {@code allowed} keys. */
  List<YamlFields> list(String key, Set<String> allowed) throws InputError {
    List<YamlFields> out = new ArrayList<>();
    if (!has(key)) {
      return out;
    }
    JsonNode v = node.get(key);
    if (!v.isArray()) {
      throw error(key, "expected a list");
    }
    for (int i = 0; i < v.size(); i++) {
      JsonNode item = v.get(i);
      String p = where(key) + "[" + i + "]";
      if (!item.isObject()) {
        throw new InputError(file + ": " + p + ": expected a mapping");
      }
      YamlFields f = new YamlFields(item, file, p);
      f.allow(allowed);
      out.add(f);
    }
    return out;
  }

  /** The mapping under {@code key}, or null when absent. */
  YamlFields object(String key, Set<String> allowed) throws InputError {
    if (!has(key)) {
      return null;
    }
    JsonNode v = node.get(key);
    if (!v.isObject()) {
      throw error(key, "expected a mapping");
    }
    YamlFields f = new YamlFields(v, file, where(key));
    f.allow(allowed);
    return f;
  }

  String text(String key, String fallback) throws InputError {
    if (!has(key)) {
      if (fallback == null) {
        throw error(key, "missing");
      }
      return fallback;
    }
    JsonNode v = node.get(key);
    if (!v.isValueNode()) {
      throw error(key, "expected a string");
    }
    return v.asString().trim();
  }

  /** The value at {@code key} as text, refused when it is a mapping or a list. */
  private String scalar(String key) throws InputError {
    JsonNode v = node.get(key);
    if (!v.isValueNode()) {
      throw error(key, "expected a single value, got " + (v.isArray() ? "a list" : "a mapping"));
    }
    return v.asString().trim();
  }

  long whole(String key, long fallback, long min, long max) throws InputError {
    if (!has(key)) {
      if (fallback == Long.MIN_VALUE) {
        throw error(key, "missing");
      }
      return fallback;
    }
    String raw = scalar(key);
    long v;
    try {
      v = Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw error(key, "expected a whole number, got \"" + raw + "\"");
    }
    if (v < min || v > max) {
      throw error(key, v + " is out of range " + min + ".." + max);
    }
    return v;
  }

  double number(String key, double fallback) throws InputError {
    if (!has(key)) {
      return fallback;
    }
    String raw = scalar(key);
    try {
      double d = Double.parseDouble(raw);
      if (!(d > 0) || Double.isInfinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw error(key, "expected a positive number, got \"" + raw + "\"");
    }
  }

  /** A Kubernetes quantity scaled by {@code unit} (CPU in milli: 1000; memory in MiB: 1/2^20), rounded up. */
  long quantity(String key, long fallback, BigDecimal unit) throws InputError {
    if (!has(key)) {
      if (fallback < 0) {
        throw error(key, "missing");
      }
      return fallback;
    }
    String raw = scalar(key);
    BigDecimal amount;
    try {
      amount = new Quantity(raw).getNumericalAmount();
    } catch (RuntimeException e) {
      throw error(key, "\"" + raw + "\" is not a Kubernetes quantity");
    }
    if (amount.signum() < 0) {
      throw error(key, "\"" + raw + "\" must not be negative");
    }
    // more than 25 integer digits cannot fit once scaled; checked first, as scaling 1e999999 is slow
    try {
      if (amount.precision() - amount.scale() > 25) {
        throw new ArithmeticException();
      }
      return amount.multiply(unit).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
    } catch (ArithmeticException e) {
      throw error(key, "\"" + raw + "\" is too large");
    }
  }

  /** A duration such as {@code 500ms}, {@code 30s}, {@code 15m}, {@code 2h}, {@code 1d}, or {@code 1h30m}; in milliseconds. */
  long duration(String key, long fallback) throws InputError {
    if (!has(key)) {
      return fallback;
    }
    String raw = scalar(key);
    Matcher m = DURATION.matcher(raw);
    double total = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double v = Double.parseDouble(m.group(1));
      total += v * switch (m.group(2)) {
        case "ms" -> 1;
        case "s" -> 1000;
        case "m" -> 60_000;
        case "h" -> 3_600_000;
        default -> 86_400_000;
      };
      end = m.end();
    }
    if (end == 0 || end != raw.length()) {
      throw error(key, "\"" + raw + "\" is not a duration like 500ms, 30s, 15m, 2h, 1d or 1h30m");
    }
    if (!(total <= MAX_DURATION_MILLIS)) {
      throw error(key, "\"" + raw + "\" is longer than 36500d");
    }
    return Math.round(total);
  }

  /** A mapping of strings (e.g. annotations), in file order. */
  Map<String, String> strings(String key) throws InputError {
    Map<String, String> out = new LinkedHashMap<>();
    if (!has(key)) {
      return out;
    }
    JsonNode v = node.get(key);
    if (!v.isObject()) {
      throw error(key, "expected a mapping of strings");
    }
    for (Map.Entry<String, JsonNode> e : v.properties()) {
      if (!e.getValue().isValueNode()) {
        throw error(key + "." + e.getKey(), "expected a string");
      }
      out.put(e.getKey(), e.getValue().asString());
    }
    return out;
  }

  String path() {
    return path;
  }
}
