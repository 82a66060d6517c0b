package dev.hamij.api.testing;

import static dev.hamij.api.testing.Gen.weight;

import dev.hamij.api.HandshakeCodec;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.NodeLockCodec;
import dev.hamij.api.PairScoresCodec;
import dev.hamij.api.PodDevicesCodec;
import dev.hamij.api.RegisterCodec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Annotation values for robustness properties: well-formed values of every HAMi annotation (from
 * {@link HamiGens} through the codecs), the same values damaged by a few random edits
 * ({@link #mutated}), and short noise over each grammar's alphabet.
 */
public final class AnnotationGens {
  private AnnotationGens() {}

  /** Characters that matter to the annotation grammars, plus a few that never should appear. */
  public static final String ALPHABET = ",:;[]{}\"\\0123456789-+.eE _TZtrufalsnGPUIDMG\u00e9\n";

  private static final List<String> FRAGMENTS = List.of("99999999999", "-1", "null", "true", "{}", "[]", "\"\"",
      "1.5", "1e3", "2147483648", ":", ";", ",", "\"id\":", "\"placement\":{}", "T", "_", "Requesting_", "\u0000");

  /** {@code hami.io/node-nvidia-register} values, JSON and legacy. */
  public static Gen<String> register() {
    return Gen.oneOf(HamiGens.node().map(RegisterCodec::encodeJson),
        HamiGens.node(HamiGens.hamiCoreDevice()).map(RegisterCodec::encodeLegacy));
  }

  /** {@code hami.io/vgpu-devices-*} values. */
  public static Gen<String> podDevices() {
    return HamiGens.podDevices().map(PodDevicesCodec::encode);
  }

  /** {@code hami.io/vgpu-mig-allocations} values. */
  public static Gen<String> migAllocations() {
    return HamiGens.migAllocations().map(MigAllocationsCodec::encode);
  }

  /** {@code hami.io/mutex.lock} values. */
  public static Gen<String> nodeLock() {
    return HamiGens.nodeLock().map(NodeLockCodec::encode);
  }

  /** {@code hami.io/node-handshake} values. */
  public static Gen<String> handshake() {
    Gen<Instant> time = (r, s) -> Instant.ofEpochSecond(r.nextLong(946_684_800L, 4_102_444_800L));
    return Gen.oneOf(time.map(t -> HandshakeCodec.requesting(t, ZoneOffset.UTC)),
        time.map(t -> HandshakeCodec.deleted(t, ZoneOffset.UTC)), time.map(t -> HandshakeCodec.reported(t, ZoneOffset.UTC)));
  }

  /** {@code hami.io/device-scoring-weights} values. */
  public static Gen<String> scoringWeights() {
    return HamiGens.scoringWeights().map(w -> w.toAnnotationValue());
  }

  /** {@code hami.io/node-nvidia-score} values. */
  public static Gen<String> pairScores() {
    return HamiGens.pairScores().map(PairScoresCodec::encode);
  }

  /** {@code valid} with 1..4 random edits: deletions, insertions, replacements, duplications, truncation, swaps. */
  public static Gen<String> mutated(Gen<String> valid) {
    return (r, size) -> {
      String s = valid.generate(r, size);
      int edits = 1 + r.nextInt(4);
      for (int i = 0; i < edits; i++) {
        s = mutate(s, r);
      }
      return s;
    };
  }

  /** Random strings over {@link #ALPHABET}, up to {@code size} × 4 characters. */
  public static Gen<String> noise() {
    return Gen.sized(size -> Gen.stringOf(ALPHABET, 0, size * 4));
  }

  /** Valid, mutated or noise values of one grammar: mostly mutated. */
  public static Gen<String> hostile(Gen<String> valid) {
    return Gen.frequency(weight(1, valid), weight(6, mutated(valid)), weight(2, noise()),
        weight(1, Gen.elements("", " ", "[", "]", "{", "null", ";", ":", ",")));
  }

  static String mutate(String s, SplittableRandom r) {
    int at = s.isEmpty() ? 0 : r.nextInt(s.length() + 1);
    switch (r.nextInt(7)) {
      case 0: // delete one character
        return s.isEmpty() || at == s.length() ? s : s.substring(0, at) + s.substring(at + 1);
      case 1: // insert one grammar character
        return s.substring(0, at) + ALPHABET.charAt(r.nextInt(ALPHABET.length())) + s.substring(at);
      case 2: // replace one character
        return s.isEmpty() || at == s.length() ? s
            : s.substring(0, at) + ALPHABET.charAt(r.nextInt(ALPHABET.length())) + s.substring(at + 1);
      case 3: { // duplicate a slice
        int end = at + r.nextInt(s.length() - at + 1);
        return s.substring(0, end) + s.substring(at, end) + s.substring(end);
      }
      case 4: // truncate
        return s.substring(0, at);
      case 5: { // swap two characters
        if (s.length() < 2) {
          return s;
        }
        int a = r.nextInt(s.length());
        int b = r.nextInt(s.length());
        char[] c = s.toCharArray();
        char t = c[a];
        c[a] = c[b];
        c[b] = t;
        return new String(c);
      }
      default: // insert a troublesome fragment
        return s.substring(0, at) + FRAGMENTS.get(r.nextInt(FRAGMENTS.size())) + s.substring(at);
    }
  }
}
