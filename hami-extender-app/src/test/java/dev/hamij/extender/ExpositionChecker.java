package dev.hamij.extender;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, so the metrics tests mean something
 * without promtool: names and label syntax, escapes, numbers, one HELP/TYPE per family before its
 * samples, contiguous families, sample suffixes allowed by the type, no duplicate series, and for
 * histograms ascending {@code le} buckets with non-decreasing counts ending in {@code +Inf} = count.
 */
final class ExpositionChecker {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

  /** One sample. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private final List<String> problems = new ArrayList<>();
  private final List<Sample> samples = new ArrayList<>();
  private final Map<String, String> types = new LinkedHashMap<>();

  private ExpositionChecker() {}

  /** Problems found; empty when the text is well-formed. */
  static ExpositionChecker check(String text) {
    ExpositionChecker c = new ExpositionChecker();
    c.run(text);
    return c;
  }

  List<String> problems() {
    return problems;
  }

  List<Sample> samples() {
    return samples;
  }

  Map<String, String> types() {
    return types;
  }

  /** Samples of {@code name} whose labels include {@code labels}. */
  List<Sample> find(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name)
        && labels.entrySet().stream().allMatch(e -> e.getValue().equals(s.labels().get(e.getKey())))).toList();
  }

  private void run(String text) {
    if (!text.endsWith("\n")) {
      problems.add("exposition must end with a newline");
    }
    Set<String> helped = new HashSet<>();
    Set<String> finished = new HashSet<>();
    Set<String> series = new HashSet<>();
    String current = null;
    Map<String, List<Sample>> byFamily = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int no = i + 1;
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
          String family = parts[2];
          if (!NAME.matcher(family).matches()) {
            problems.add(no + ": invalid metric name " + family);
          }
          if (!family.equals(current)) {
            if (current != null) {
              finished.add(current);
            }
            if (finished.contains(family)) {
              problems.add(no + ": family " + family + " is not contiguous");
            }
            current = family;
          }
          if (parts[1].equals("HELP")) {
            if (!helped.add(family)) {
              problems.add(no + ": second HELP for " + family);
            }
          } else {
            String type = parts.length > 3 ? parts[3] : "";
            if (!TYPES.contains(type)) {
              problems.add(no + ": unknown type " + type);
            }
            if (types.put(family, type) != null) {
              problems.add(no + ": second TYPE for " + family);
            }
            if (byFamily.containsKey(family)) {
              problems.add(no + ": TYPE of " + family + " after its samples");
            }
          }
        }
        continue;
      }
      Sample s = parseSample(line, no);
      if (s == null) {
        continue;
      }
      String family = familyOf(s.name());
      if (family == null) {
        problems.add(no + ": sample " + s.name() + " belongs to no declared family");
        continue;
      }
      if (!family.equals(current)) {
        problems.add(no + ": sample " + s.name() + " outside its family block");
      }
      String key = s.name() + new TreeMap<>(s.labels());
      if (!series.add(key)) {
        problems.add(no + ": duplicate series " + key);
      }
      samples.add(s);
      byFamily.computeIfAbsent(family, k -> new ArrayList<>()).add(s);
    }
    byFamily.forEach((family, list) -> {
      if ("histogram".equals(types.get(family))) {
        checkHistogram(family, list);
      }
    });
  }

  /** The declared family a sample name belongs to, honouring the suffixes its type allows. */
  private String familyOf(String name) {
    if (types.containsKey(name) && !types.get(name).equals("histogram") && !types.get(name).equals("summary")) {
      return name;
    }
    for (String suffix : List.of("_total", "_created", "_bucket", "_sum", "_count")) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String type = types.get(base);
        if (type == null) {
          continue;
        }
        boolean ok = switch (type) {
          case "counter" -> suffix.equals("_total") || suffix.equals("_created");
          case "histogram" -> !suffix.equals("_total");
          case "summary" -> suffix.equals("_sum") || suffix.equals("_count") || suffix.equals("_created");
          default -> false;
        };
        if (ok) {
          return base;
        }
      }
    }
    if ("summary".equals(types.get(name))) {
      return name;
    }
    return null;
  }

  private Sample parseSample(String line, int no) {
    Matcher m = NAME.matcher(line);
    if (!m.lookingAt()) {
      problems.add(no + ": invalid sample line: " + line);
      return null;
    }
    String name = m.group();
    int pos = m.end();
    Map<String, String> labels = new LinkedHashMap<>();
    if (pos < line.length() && line.charAt(pos) == '{') {
      pos++;
      while (pos < line.length() && line.charAt(pos) != '}') {
        Matcher l = LABEL.matcher(line).region(pos, line.length());
        if (!l.lookingAt()) {
          problems.add(no + ": invalid label name at column " + pos);
          return null;
        }
        String label = l.group();
        if (label.startsWith("__")) {
          problems.add(no + ": reserved label name " + label);
        }
        pos = l.end();
        if (!line.startsWith("=\"", pos)) {
          problems.add(no + ": expected =\" after label " + label);
          return null;
        }
        pos += 2;
        StringBuilder v = new StringBuilder();
        boolean closed = false;
        while (pos < line.length()) {
          char c = line.charAt(pos++);
          if (c == '\\') {
            char e = pos < line.length() ? line.charAt(pos++) : ' ';
            switch (e) {
              case '\\' -> v.append('\\');
              case '"' -> v.append('"');
              case 'n' -> v.append('\n');
              default -> problems.add(no + ": invalid escape \\" + e + " in label " + label);
            }
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            v.append(c);
          }
        }
        if (!closed) {
          problems.add(no + ": unterminated value of label " + label);
          return null;
        }
        if (labels.put(label, v.toString()) != null) {
          problems.add(no + ": label " + label + " repeated");
        }
        if (pos < line.length() && line.charAt(pos) == ',') {
          pos++;
        }
      }
      if (pos >= line.length()) {
        problems.add(no + ": unterminated label set");
        return null;
      }
      pos++;
    }
    if (pos >= line.length() || line.charAt(pos) != ' ') {
      problems.add(no + ": expected a space before the value");
      return null;
    }
    String[] rest = line.substring(pos + 1).split(" ");
    if (rest.length < 1 || rest.length > 2) {
      problems.add(no + ": expected value [timestamp]");
      return null;
    }
    Double value = number(rest[0]);
    if (value == null) {
      problems.add(no + ": invalid value " + rest[0]);
      return null;
    }
    if (rest.length == 2 && !rest[1].matches("-?\\d+")) {
      problems.add(no + ": invalid timestamp " + rest[1]);
    }
    return new Sample(name, labels, value);
  }

  private static Double number(String s) {
    switch (s) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        if (!s.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
          return null;
        }
        return Double.parseDouble(s);
    }
  }

  private void checkHistogram(String family, List<Sample> list) {
    Map<Map<String, String>, List<Sample>> buckets = new HashMap<>();
    Map<Map<String, String>, Double> counts = new HashMap<>();
    for (Sample s : list) {
      Map<String, String> rest = new TreeMap<>(s.labels());
      if (s.name().equals(family + "_bucket")) {
        if (rest.remove("le") == null) {
          problems.add(family + ": bucket without le");
          continue;
        }
        buckets.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
      } else if (s.name().equals(family + "_count")) {
        counts.put(rest, s.value());
      }
    }
    buckets.forEach((labels, bs) -> {
      double lastLe = Double.NEGATIVE_INFINITY;
      double lastCount = -1;
      for (Sample b : bs) {
        Double le = number(b.labels().get("le"));
        if (le == null || le <= lastLe) {
          problems.add(family + labels + ": le values must increase, got " + b.labels().get("le"));
        } else {
          lastLe = le;
        }
        if (b.value() < lastCount) {
          problems.add(family + labels + ": bucket counts must not decrease");
        }
        lastCount = b.value();
      }
      if (lastLe != Double.POSITIVE_INFINITY) {
        problems.add(family + labels + ": last bucket must be +Inf");
      } else if (!Double.valueOf(lastCount).equals(counts.get(labels))) {
        problems.add(family + labels + ": +Inf bucket " + lastCount + " differs from _count " + counts.get(labels));
      }
    });
  }
}
