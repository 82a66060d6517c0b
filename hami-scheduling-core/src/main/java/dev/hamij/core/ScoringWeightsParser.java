package dev.hamij.core;

/** Grammar of {@code hami.io/device-scoring-weights} (scheduler.md §5.7): {@code slot=<int>,core=<int>,memory=<int>}. */
final class ScoringWeightsParser {
  private ScoringWeightsParser() {}

  /** Weights {slot, core, memory}; throws IllegalArgumentException with HAMi's error text. */
  static int[] parse(String value) {
    String[] items = value.split(",", -1);
    if (items.length != 3) {
      throw new IllegalArgumentException("expected slot, core, and memory weights, got \"" + value + "\"");
    }
    int[] w = {-1, -1, -1};
    for (String item : items) {
      String[] kv = item.split("=", -1);
      if (kv.length != 2) {
        throw new IllegalArgumentException("expected key=value entries, got \"" + item.trim() + "\"");
      }
      String key = kv[0].trim();
      int slot = switch (key) {
        case "slot" -> 0;
        case "core" -> 1;
        case "memory" -> 2;
        default -> throw new IllegalArgumentException("unknown weight \"" + key + "\"");
      };
      if (w[slot] >= 0) {
        throw new IllegalArgumentException("duplicate \"" + key + "\" weight");
      }
      String raw = kv[1].trim();
      int v;
      try {
        v = Integer.parseInt(raw, 10);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("\"" + key + "\" weight must be an integer, got \"" + raw + "\"");
      }
      if (v < 0) {
        throw new IllegalArgumentException("\"" + key + "\" weight must not be negative");
      }
      w[slot] = v;
    }
    if (w[0] == 0 && w[1] == 0 && w[2] == 0) {
      throw new IllegalArgumentException("at least one weight must be positive");
    }
    return w;
  }
}
