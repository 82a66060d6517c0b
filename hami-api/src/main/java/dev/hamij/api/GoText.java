package dev.hamij.api;

/** Go-compatible text primitives shared by the codecs: integer parsing and JSON string quoting. */
final class GoText {
  private GoText() {}

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /**
   * Parses a base-10 integer like Go's {@code strconv.ParseInt(s, 10, bits)}: an optional sign
   * followed by ASCII digits only (no blanks, no underscores), within {@code [min, max]}.
   *
   * @return the value, or {@code null} when the text is not such an integer or is out of range
   */
  static Long parseInteger(String s, long min, long max) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    int i = 0;
    boolean negative = false;
    if (s.charAt(0) == '+' || s.charAt(0) == '-') {
      negative = s.charAt(0) == '-';
      i = 1;
    }
    if (i == s.length()) {
      return null;
    }
    long magnitudeLimit = negative ? -min : max; // callers pass min > Long.MIN_VALUE
    long value = 0;
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      int digit = c - '0';
      if (value > (magnitudeLimit - digit) / 10) {
        return null;
      }
      value = value * 10 + digit;
    }
    long result = negative ? -value : value;
    return result < min || result > max ? null : result;
  }

  /** {@code s} cut to at most 80 characters, for error messages. */
  static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  /** Parses a Go {@code int32}; {@code null} when not one. */
  static Integer parseInt32(String s) {
    Long v = parseInteger(s, Integer.MIN_VALUE, Integer.MAX_VALUE);
    return v == null ? null : v.intValue();
  }

  /**
   * Appends {@code s} as a JSON string exactly as Go's {@code encoding/json} writes it: HTML
   * characters {@code < > &} as six-character escapes (backslash, u, four hex digits), {@code \b \f \n \r \t} short escapes,
   * other control characters as lower-case six-character escapes, U+2028/U+2029 escaped, and unpaired
   * surrogates (invalid UTF-8 in Go) as the escape of U+FFFD.
   */
  static void appendJsonString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '<': case '>': case '&': case '\u2028': case '\u2029':
          appendUnicodeEscape(out, c);
          break;
        default:
          if (c < 0x20) {
            appendUnicodeEscape(out, c);
          } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            out.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            out.append("\\ufffd");
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }

  private static void appendUnicodeEscape(StringBuilder out, char c) {
    out.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF]).append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
  }
}
