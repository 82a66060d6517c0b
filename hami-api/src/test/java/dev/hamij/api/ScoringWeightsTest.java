package dev.hamij.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ScoringWeightsTest {
  @Test
  void parsesAnyOrderWithBlanks() {
    assertThat(ScoringWeights.parse(" memory = 3 ,slot=0, core=2", "ns/p")).isEqualTo(new ScoringWeights(0, 2, 3));
    assertThat(ScoringWeights.parse("slot=1,core=1,memory=1", "ns/p")).isEqualTo(ScoringWeights.DEFAULT);
    assertThat(ScoringWeights.parse(null, "ns/p")).isEqualTo(ScoringWeights.DEFAULT);
    assertThat(ScoringWeights.parse("   ", "ns/p")).isEqualTo(ScoringWeights.DEFAULT);
    assertThat(new ScoringWeights(4, 0, 7).toAnnotationValue()).isEqualTo("slot=4,core=0,memory=7");
  }

  @Test
  void errorsCarryUpstreamSubstrings() {
    assertError("slot=1,core=1", "expected slot, core, and memory weights");
    assertError("slot=1,core=1,memory=1,", "expected slot, core, and memory weights");
    assertError("slot=1,core,memory=1", "expected key=value entries");
    assertError("slot=1,core=x,memory=1", "\"core\" weight must be an integer");
    assertError("slot=1,core=1.5,memory=1", "\"core\" weight must be an integer");
    assertError("slot=-1,core=1,memory=1", "\"slot\" weight must not be negative");
    assertError("slot=1,gpu=1,memory=1", "unknown weight \"gpu\"");
    assertError("slot=1,slot=1,memory=1", "duplicate \"slot\" weight");
    assertError("slot=0,core=0,memory=0", "at least one weight must be positive");
    assertError("slot=99999999999,core=0,memory=0", "\"slot\" weight must be an integer of at most");
  }

  private static void assertError(String value, String expected) {
    assertThatThrownBy(() -> ScoringWeights.parse(value, "ns/p"))
        .isInstanceOf(HamiFormatException.class)
        .hasMessageStartingWith("ns/p: hami.io/device-scoring-weights: ")
        .hasMessageContaining(expected);
  }
}
