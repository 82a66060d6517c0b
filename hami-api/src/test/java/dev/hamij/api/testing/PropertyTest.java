package dev.hamij.api.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PropertyTest {
  @Test
  void passingPropertyRunsEverySeedWithGrowingSizes() {
    List<Integer> sizes = new ArrayList<>();
    Property.forAll((r, size) -> size).seeds(11).maxSize(10).check(sizes::add);
    assertThat(sizes).hasSize(Integer.getInteger("hamij.seeds", 11)).isSorted();
    assertThat(sizes.get(0)).isZero();
    assertThat(sizes.get(sizes.size() - 1)).isEqualTo(10);
    if (System.getProperty("hamij.seeds") == null) {
      assertThat(sizes).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    }
  }

  @Test
  void failureReportsSeedAndShrinksToSmallestFailingSize() {
    Gen<List<Integer>> lists = Gen.listOf(Gen.choose(0, 9));
    assertThatThrownBy(() -> Property.forAll(lists).seeds(50).maxSize(40).check(l -> assertThat(l.size()).isLessThan(5)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Property failed: seed=")
        .hasMessageContaining("reproduce with: -Dhamij.seed=")
        .satisfies(e -> {
          String msg = e.getMessage();
          long seed = Long.parseLong(msg.replaceAll("(?s).*-Dhamij\\.seed=(-?\\d+).*", "$1"));
          int size = Integer.parseInt(msg.replaceAll("(?s).*-Dhamij\\.size=(\\d+).*", "$1"));
          assertThat(size).as("a list of 5 needs size >= 5").isGreaterThanOrEqualTo(5);
          assertThat(lists.generate(new SplittableRandom(seed), size)).hasSizeGreaterThanOrEqualTo(5);
          for (int smaller = 0; smaller < size; smaller++) {
            assertThat(lists.generate(new SplittableRandom(seed), smaller)).hasSizeLessThan(5);
          }
        });
  }

  @Test
  void pinnedSeedReproducesExactlyOneValue() {
    List<Long> seen = new ArrayList<>();
    System.setProperty("hamij.seed", "42");
    System.setProperty("hamij.size", "7");
    try {
      Property.forAll((r, size) -> r.nextLong() + size).seeds(100).check(seen::add);
    } finally {
      System.clearProperty("hamij.seed");
      System.clearProperty("hamij.size");
    }
    assertThat(seen).containsExactly(new SplittableRandom(42).nextLong() + 7);
  }

  @Test
  void combinatorsStayWithinBounds() {
    Gen<Integer> freq = Gen.frequency(Gen.weight(1, Gen.constant(1)), Gen.weight(3, Gen.choose(10, 12)));
    Property.forAll(Gen.listOf(freq, 2, 4)).seeds(100).check(l -> {
      assertThat(l).hasSizeBetween(2, 4);
      assertThat(l).allMatch(i -> i == 1 || (i >= 10 && i <= 12));
    });
    Property.forAll(Gen.choose(0, 1000).flatMap(n -> Gen.constant(n * 2)).filter(n -> n > 0))
        .seeds(50).check(n -> assertThat(n % 2).isZero());
  }
}
