package dev.hamij.api;

import java.util.Optional;

/**
 * Boolean parsing with exactly Go's {@code strconv.ParseBool} vocabulary, as HAMi uses for
 * annotation values such as {@code nvidia.com/numa-bind} and the legacy register health field.
 *
 * <p>True: {@code 1 t T TRUE true True}; false: {@code 0 f F FALSE false False}; anything else
 * (including {@code null}, blanks and {@code yes}) is not a boolean.
 */
public final class GoBool {
  private GoBool() {}

  /** The boolean {@code text} denotes, or empty when Go would reject it. */
  public static Optional<Boolean> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    switch (text) {
      case "1": case "t": case "T": case "TRUE": case "true": case "True":
        return Optional.of(Boolean.TRUE);
      case "0": case "f": case "F": case "FALSE": case "false": case "False":
        return Optional.of(Boolean.FALSE);
      default:
        return Optional.empty();
    }
  }
}
