package dev.hamij.extender;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's duration syntax as HAMi's flags use it: {@code 5m}, {@code 28s}, {@code 1h30m}, {@code 500ms}, {@code 5m0s}. */
final class GoDuration {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private GoDuration() {}

  static Duration parse(String flag, String text) {
    String t = text.trim();
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(t);
    int pos = 0;
    double nanos = 0;
    while (pos < t.length() && m.region(pos, t.length()).lookingAt()) {
      double v = Double.parseDouble(m.group(1));
      nanos += v * switch (m.group(2)) {
        case "ns" -> 1;
        case "us", "µs" -> 1e3;
        case "ms" -> 1e6;
        case "s" -> 1e9;
        case "m" -> 60e9;
        default -> 3600e9;
      };
      pos = m.end();
    }
    if (pos != t.length() || t.isEmpty()) {
      throw new IllegalArgumentException(flag + ": invalid duration \"" + text + "\" (expected e.g. 5m, 28s, 1h30m)");
    }
    return Duration.ofNanos((long) nanos);
  }
}
