package dev.hamij.api;

import java.util.HashSet;
import java.util.Set;

/**
 * Weights of the device score (scheduler.md §5.7), set per pod with the annotation
 * {@code hami.io/device-scoring-weights: slot=<int>,core=<int>,memory=<int>}.
 *
 * <p>Guarantees: every weight is non-negative and at least one is positive.
 */
public record ScoringWeights(int slot, int core, int memory) {

  /** Upstream's default weights (1, 1, 1). */
  public static final ScoringWeights DEFAULT = new ScoringWeights(1, 1, 1);

  public ScoringWeights {
    if (slot < 0 || core < 0 || memory < 0) {
      throw new IllegalArgumentException("weights must not be negative: " + slot + "," + core + "," + memory);
    }
    if (slot == 0 && core == 0 && memory == 0) {
      throw new IllegalArgumentException("at least one weight must be positive");
    }
  }

  /** The annotation value, {@code slot=S,core=C,memory=M}. */
  public String toAnnotationValue() {
    return "slot=" + slot + ",core=" + core + ",memory=" + memory;
  }

  /**
   * Parses the annotation value: exactly three comma-separated {@code key=value} items with keys
   * {@code slot}, {@code core}, {@code memory} in any order (blanks around items, keys and values
   * are trimmed), each a non-negative base-10 integer, no duplicates, not all zero. A {@code null}
   * or blank value (annotation absent) gives {@link #DEFAULT}.
   *
   * @param podRef {@code namespace/name} of the pod, for error messages
   * @throws HamiFormatException whose message contains upstream's error text, e.g.
   *     {@code "core" weight must not be negative}
   */
  public static ScoringWeights parse(String value, String podRef) {
    if (value == null || value.isBlank()) {
      return DEFAULT;
    }
    String[] items = value.split(",", -1);
    if (items.length != 3) {
      throw error(podRef, value, "expected slot, core, and memory weights");
    }
    int[] weights = new int[3];
    Set<String> seen = new HashSet<>();
    for (String item : items) {
      int eq = item.indexOf('=');
      if (eq < 0) {
        throw error(podRef, value, "expected key=value entries");
      }
      String key = item.substring(0, eq).trim();
      String text = item.substring(eq + 1).trim();
      int slotIndex;
      switch (key) {
        case "slot": slotIndex = 0; break;
        case "core": slotIndex = 1; break;
        case "memory": slotIndex = 2; break;
        default: throw error(podRef, value, "unknown weight \"" + key + "\"");
      }
      if (!seen.add(key)) {
        throw error(podRef, value, "duplicate \"" + key + "\" weight");
      }
      Long w = GoText.parseInteger(text, Long.MIN_VALUE + 1, Long.MAX_VALUE);
      if (w == null) {
        throw error(podRef, value, "\"" + key + "\" weight must be an integer");
      }
      if (w < 0) {
        throw error(podRef, value, "\"" + key + "\" weight must not be negative");
      }
      if (w > Integer.MAX_VALUE) {
        throw error(podRef, value, "\"" + key + "\" weight must be an integer of at most " + Integer.MAX_VALUE);
      }
      weights[slotIndex] = w.intValue();
    }
    if (weights[0] == 0 && weights[1] == 0 && weights[2] == 0) {
      throw error(podRef, value, "at least one weight must be positive");
    }
    return new ScoringWeights(weights[0], weights[1], weights[2]);
  }

  private static HamiFormatException error(String podRef, String value, String detail) {
    return new HamiFormatException(Annotations.DEVICE_SCORING_WEIGHTS, podRef,
        detail + " (got \"" + GoText.abbreviate(value) + "\")");
  }
}
