package dev.hamij.api.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fuzzing inputs built from valid ones: every generator here starts from values of the seeded
 * corpus generators it is given and damages them the way real inputs get damaged or forged — bit
 * flips, truncation, deletion and duplication of ranges, splicing two valid values, numbers replaced
 * by edge values ({@code 2147483648}, {@code 1e309}, {@code -0}, {@code NaN}, …), Unicode that
 * trips parsers (unpaired surrogates, BOM, NUL, right-to-left override, fullwidth and Arabic-Indic
 * digits, the Kelvin sign and dotless i that change case-insensitive matching), deep nesting and
 * long repetitions. A fraction of the values is left valid so the success path is fuzzed too.
 * Same random state and size, same value.
 */
public final class Mutations {
  private Mutations() {}

  /** Numbers at or just past the limits of int32, int64, float64 and of quantity parsers. */
  public static final List<String> NUMBER_EDGES = List.of("0", "-0", "1", "-1", "+1", "01", "2147483647",
      "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296", "9223372036854775807",
      "9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999999999999",
      "1e308", "1e309", "-1e309", "1e-400", "4.9e-324", "0.5", "1.0", "1.", ".5", "1e2", "1E+3", "NaN", "Infinity",
      "-Infinity", "0x1F", "1_000", "1Ki", "1Mi", "8Ei", "9Ei", "100m", "1e18", "1e19", "0.000000001");

  /** Text that breaks naive parsers, decoders and case-insensitive comparisons. */
  public static final List<String> UNICODE = List.of("\u0000", "\uFEFF", "\uD800", "\uDC00", "\uDBFF\uDFFF",
      "\uD83D\uDE00", "\u202E", "\u200B", "\u2028", "\u2029", "\u0085", "\u00A0", "\u00E9", "e\u0301", "\u0131",
      "\u0130", "\u212A", "\uFF11\uFF12", "\u0663", "\uFFFD", "\uFFFF", "\t", "\r\n", "\r", "\u001B[0m", "\u4E2D");

  /** Structural and keyword fragments of JSON, YAML and HAMi's annotation grammars. */
  public static final List<String> FRAGMENTS = List.of("null", "true", "false", "{}", "[]", "\"\"", "\"", "\\",
      "\\u", "\\ud800", ":", ";", ",", "[", "]", "{", "}", "- ", "? ", "---\n", "...\n", "&a ", "*a", "<<: ", "!!binary ",
      "!!str ", "!<tag:yaml.org,2002:int> ", "# ", "%YAML 1.1\n", "|\n", ">-\n", "~", "=", "_", "T", "Z", "+00:00",
      "GPU-", "MIG-", "NVIDIA", "hami-core", "mig", "\"id\":", "\"placement\":{}", "\"kind\":", "\"apiVersion\":",
      "\"metadata\":", "\"annotations\":", "\"spec\":", "\"containers\":", "\"limits\":", "Requesting_", "Deleted_");

  /** Hostile text inputs from the corpus generators (valid, mutated, spliced, noise). */
  @SafeVarargs
  public static Gen<String> text(Gen<String>... corpus) {
    List<Gen<String>> gens = List.of(corpus);
    return (r, size) -> {
      String valid = pick(gens, r, size);
      int kind = r.nextInt(100);
      if (kind < 8) {
        return valid;
      }
      if (kind < 14) {
        return noise(r, size);
      }
      if (kind < 18) {
        return nest(valid, r);
      }
      String s = valid;
      int edits = 1 + r.nextInt(r.nextInt(8) + 1);
      for (int i = 0; i < edits; i++) {
        s = mutate(s, r, () -> pick(gens, r, size));
      }
      return s;
    };
  }

  /** Hostile request bodies: the text mutations encoded as UTF-8, plus byte-level damage (invalid UTF-8). */
  @SafeVarargs
  public static Gen<byte[]> utf8(Gen<String>... corpus) {
    Gen<String> text = text(corpus);
    return (r, size) -> {
      byte[] b = text.generate(r, size).getBytes(StandardCharsets.UTF_8);
      return r.nextInt(4) == 0 ? mutateBytes(b, r, 1 + r.nextInt(3)) : b;
    };
  }

  /** Hostile binary inputs: the corpus values with 1..8 byte-level edits. */
  public static Gen<byte[]> binary(Gen<byte[]> corpus) {
    return (r, size) -> {
      byte[] b = corpus.generate(r, size);
      return r.nextInt(20) == 0 ? b : mutateBytes(b, r, 1 + r.nextInt(8));
    };
  }

  private static String pick(List<Gen<String>> gens, SplittableRandom r, int size) {
    return gens.get(r.nextInt(gens.size())).generate(r, size);
  }

  /** One random edit of {@code s}; {@code other} supplies a second valid value for splicing. */
  static String mutate(String s, SplittableRandom r, java.util.function.Supplier<String> other) {
    int n = s.length();
    int at = r.nextInt(n + 1);
    int end = at + r.nextInt(n - at + 1);
    switch (r.nextInt(14)) {
      case 0: { // flip one bit of one UTF-16 unit (may create control characters or surrogates)
        if (n == 0) {
          return s;
        }
        int i = r.nextInt(n);
        char c = (char) (s.charAt(i) ^ (1 << r.nextInt(r.nextInt(4) == 0 ? 16 : 7)));
        return s.substring(0, i) + c + s.substring(i + 1);
      }
      case 1: // truncate (possibly between the halves of a surrogate pair)
        return s.substring(0, at);
      case 2: // delete a range
        return s.substring(0, at) + s.substring(end);
      case 3: // duplicate a range
        return s.substring(0, end) + s.substring(at, end) + s.substring(end);
      case 4: { // splice: a prefix of this value and a suffix of another
        String o = other.get();
        return s.substring(0, at) + o.substring(r.nextInt(o.length() + 1));
      }
      case 5: // replace a number by an edge value
        return replaceNumber(s, r);
      case 6: // insert an edge number
        return s.substring(0, at) + NUMBER_EDGES.get(r.nextInt(NUMBER_EDGES.size())) + s.substring(at);
      case 7: // insert hostile Unicode
        return s.substring(0, at) + UNICODE.get(r.nextInt(UNICODE.size())) + s.substring(at);
      case 8: // insert a structural fragment
        return s.substring(0, at) + FRAGMENTS.get(r.nextInt(FRAGMENTS.size())) + s.substring(at);
      case 9: // replace a range by a fragment
        return s.substring(0, at) + FRAGMENTS.get(r.nextInt(FRAGMENTS.size())) + s.substring(end);
      case 10: { // swap two characters
        if (n < 2) {
          return s;
        }
        char[] c = s.toCharArray();
        int a = r.nextInt(n);
        int b = r.nextInt(n);
        char t = c[a];
        c[a] = c[b];
        c[b] = t;
        return new String(c);
      }
      case 11: { // change the case of a letter, or swap it for a look-alike that folds differently
        if (n == 0) {
          return s;
        }
        int i = r.nextInt(n);
        char c = s.charAt(i);
        String repl = switch (c) {
          case 'k', 'K' -> "\u212A";
          case 'i' -> "\u0131";
          case 'I' -> "\u0130";
          case 's', 'S' -> "\u017F";
          case '1' -> "\uFF11";
          case '3' -> "\u0663";
          default -> String.valueOf(Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c));
        };
        return s.substring(0, i) + repl + s.substring(i + 1);
      }
      case 12: { // repeat a short slice many times (long lines, many items)
        int len = Math.min(end - at, 16);
        if (len == 0) {
          return s;
        }
        String slice = s.substring(at, at + len);
        int times = 2 + r.nextInt(r.nextInt(4) == 0 ? 2000 : 20);
        return s.substring(0, at) + slice.repeat(times) + s.substring(at);
      }
      default: { // replace a character by a random one of a wide range
        if (n == 0) {
          return String.valueOf((char) r.nextInt(0x80));
        }
        int i = r.nextInt(n);
        char c = (char) (r.nextBoolean() ? r.nextInt(0x80) : r.nextInt(0x10000));
        return s.substring(0, i) + c + s.substring(i + 1);
      }
    }
  }

  private static String replaceNumber(String s, SplittableRandom r) {
    List<int[]> runs = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        int start = i > 0 && s.charAt(i - 1) == '-' ? i - 1 : i;
        while (i < s.length() && ((s.charAt(i) >= '0' && s.charAt(i) <= '9') || s.charAt(i) == '.')) {
          i++;
        }
        runs.add(new int[] {start, i});
      } else {
        i++;
      }
    }
    String edge = NUMBER_EDGES.get(r.nextInt(NUMBER_EDGES.size()));
    if (runs.isEmpty()) {
      return s + edge;
    }
    int[] run = runs.get(r.nextInt(runs.size()));
    return s.substring(0, run[0]) + edge + s.substring(run[1]);
  }

  /** The value wrapped in (or prefixed by) thousands of opening brackets or YAML indentation. */
  private static String nest(String valid, SplittableRandom r) {
    int depth = 100 + r.nextInt(r.nextInt(10) == 0 ? 20_000 : 400); // deep ones are costly: keep them rare
    return switch (r.nextInt(4)) {
      case 0 -> "[".repeat(depth) + valid + "]".repeat(depth);
      case 1 -> "{\"a\":".repeat(depth) + valid + "}".repeat(depth);
      case 2 -> "- ".repeat(depth) + valid;
      default -> valid.substring(0, r.nextInt(valid.length() + 1)) + "[".repeat(depth);
    };
  }

  /** Random text over a wide alphabet, up to {@code size × 8} characters. */
  private static String noise(SplittableRandom r, int size) {
    int n = r.nextInt(size * 8 + 1);
    StringBuilder b = new StringBuilder(n);
    while (b.length() < n) {
      switch (r.nextInt(4)) {
        case 0 -> b.append(FRAGMENTS.get(r.nextInt(FRAGMENTS.size())));
        case 1 -> b.append(NUMBER_EDGES.get(r.nextInt(NUMBER_EDGES.size())));
        case 2 -> b.append(UNICODE.get(r.nextInt(UNICODE.size())));
        default -> b.append((char) (0x20 + r.nextInt(0x5f)));
      }
    }
    return b.toString();
  }

  private static final long[] WORD_EDGES = {0, 1, -1, 2, 7, 16, 17, 1023, 1024, 1025, Integer.MAX_VALUE,
      Integer.MIN_VALUE, 0xFFFFFFFFL, Long.MAX_VALUE, Long.MIN_VALUE, 0x7FFFFFFF00000000L};

  /** {@code edits} byte-level edits: bit flips, edge bytes and words, truncation, growth, copies. */
  public static byte[] mutateBytes(byte[] in, SplittableRandom r, int edits) {
    byte[] b = in;
    for (int e = 0; e < edits; e++) {
      int n = b.length;
      switch (r.nextInt(7)) {
        case 0 -> { // bit flip
          if (n > 0) {
            b = copyOnce(b, in);
            b[r.nextInt(n)] ^= (byte) (1 << r.nextInt(8));
          }
        }
        case 1 -> { // edge byte
          if (n > 0) {
            b = copyOnce(b, in);
            b[r.nextInt(n)] = (byte) new int[] {0, 0xFF, 0x7F, 0x80, 0xC0, 0xC3, 0xED, 0xF4, 0xF8}[r.nextInt(9)];
          }
        }
        case 2 -> { // little-endian edge word (4 or 8 bytes), aligned
          int width = r.nextBoolean() ? 4 : 8;
          if (n >= width) {
            b = copyOnce(b, in);
            int at = r.nextInt(n / width) * width;
            long v = WORD_EDGES[r.nextInt(WORD_EDGES.length)];
            for (int k = 0; k < width; k++) {
              b[at + k] = (byte) (v >>> (8 * k));
            }
          }
        }
        case 3 -> b = Arrays.copyOf(b, r.nextInt(n + 1)); // truncate
        case 4 -> b = Arrays.copyOf(b, n + 1 + r.nextInt(r.nextBoolean() ? 8 : 4096)); // grow with zeros
        case 5 -> { // copy a block onto another place
          if (n > 1) {
            b = copyOnce(b, in);
            int from = r.nextInt(n);
            int to = r.nextInt(n);
            int len = r.nextInt(Math.min(64, n - Math.max(from, to)) + 1);
            System.arraycopy(b, from, b, to, len);
          }
        }
        default -> { // random byte
          if (n > 0) {
            b = copyOnce(b, in);
            b[r.nextInt(n)] = (byte) r.nextInt(256);
          }
        }
      }
    }
    return b;
  }

  private static byte[] copyOnce(byte[] current, byte[] original) {
    return current == original ? current.clone() : current;
  }
}
