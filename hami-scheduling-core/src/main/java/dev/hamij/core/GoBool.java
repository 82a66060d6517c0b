package dev.hamij.core;

/** Go's {@code strconv.ParseBool}: the spellings HAMi accepts for boolean annotations. */
final class GoBool {
  private GoBool() {}

  /** TRUE/FALSE for Go's accepted spellings, null for anything else (including null). */
  static Boolean parse(String v) {
    if (v == null) {
      return null;
    }
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True" -> Boolean.TRUE;
      case "0", "f", "F", "FALSE", "false", "False" -> Boolean.FALSE;
      default -> null;
    };
  }
}
