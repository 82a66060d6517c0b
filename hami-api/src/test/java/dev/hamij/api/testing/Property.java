package dev.hamij.api.testing;

import java.util.SplittableRandom;
import org.junit.jupiter.api.DynamicTest;

/**
 * A tiny property runner for JUnit 5: checks a property on values from a {@link Gen} over many
 * seeds, with sizes growing from 0 to {@link #maxSize(int)}.
 *
 * <pre>{@code
 * @Test
 * void roundTrips() {
 *   Property.forAll(HamiGens.podDevices()).seeds(200)
 *       .check(p -> assertThat(PodDevicesCodec.decode(PodDevicesCodec.encode(p), "ns/p")).isEqualTo(p));
 * }
 * }</pre>
 *
 * <p>On failure it retries the failing seed with every smaller size and reports the smallest size
 * that still fails (a simple shrink), then throws an {@link AssertionError} naming the seed, the
 * size, the value and the cause; the same text goes to standard error. To reproduce, run the test
 * with {@code -Dhamij.seed=<seed>} (all sizes) or additionally {@code -Dhamij.size=<size>}.
 * {@code -Dhamij.seeds=<n>} overrides the number of seeds of every property (e.g. for a long soak).
 * Trial seeds derive from the fixed base seed {@value #DEFAULT_BASE_SEED} (override with
 * {@code -Dhamij.baseSeed=<n>}), so plain runs are deterministic.
 *
 * @param <T> the generated type
 */
public final class Property<T> {
  /** Base seed of the trial seeds unless {@code hamij.baseSeed} is set. */
  public static final long DEFAULT_BASE_SEED = 20260821L;

  /** The check of one value; any exception or {@link AssertionError} means the property fails. */
  @FunctionalInterface
  public interface Check<T> {
    void accept(T value) throws Exception;
  }

  private final Gen<T> gen;
  private int seeds = 100;
  private int maxSize = 30;

  private Property(Gen<T> gen) {
    this.gen = gen;
  }

  /** A property over values of {@code gen} (100 seeds, sizes up to 30 unless changed). */
  public static <T> Property<T> forAll(Gen<T> gen) {
    return new Property<>(gen);
  }

  /** Number of seeds (trials). */
  public Property<T> seeds(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("seeds must be positive");
    }
    this.seeds = count;
    return this;
  }

  /** Largest size passed to the generator. */
  public Property<T> maxSize(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative");
    }
    this.maxSize = size;
    return this;
  }

  /** The property as a JUnit dynamic test, for {@code @TestFactory} methods. */
  public DynamicTest toDynamicTest(String name, Check<T> check) {
    return DynamicTest.dynamicTest(name, () -> check(check));
  }

  /**
   * Runs the property.
   *
   * @throws AssertionError for the first failing seed, after shrinking its size
   */
  public void check(Check<T> check) {
    Long pinnedSeed = Long.getLong("hamij.seed");
    if (pinnedSeed != null) {
      Integer pinnedSize = Integer.getInteger("hamij.size");
      int from = pinnedSize == null ? 0 : pinnedSize;
      int to = pinnedSize == null ? maxSize : pinnedSize;
      for (int size = from; size <= to; size++) {
        runTrial(pinnedSeed, size, check);
      }
      return;
    }
    int trials = Integer.getInteger("hamij.seeds", seeds);
    SplittableRandom seedSource = new SplittableRandom(Long.getLong("hamij.baseSeed", DEFAULT_BASE_SEED));
    for (int i = 0; i < trials; i++) {
      long seed = seedSource.nextLong();
      int size = trials == 1 ? maxSize : (int) ((long) i * maxSize / (trials - 1));
      runTrial(seed, size, check);
    }
  }

  private void runTrial(long seed, int size, Check<T> check) {
    Throwable failure = attempt(seed, size, check);
    if (failure == null) {
      return;
    }
    int smallest = size;
    Throwable smallestFailure = failure;
    for (int s = 0; s < size; s++) {
      Throwable f = attempt(seed, s, check);
      if (f != null) {
        smallest = s;
        smallestFailure = f;
        break;
      }
    }
    String value = describe(seed, smallest);
    String report = "Property failed: seed=" + seed + " size=" + size
        + (smallest < size ? " (shrunk: still fails at size=" + smallest + ")" : "")
        + "\n  reproduce with: -Dhamij.seed=" + seed + " -Dhamij.size=" + smallest
        + "\n  value: " + value
        + "\n  cause: " + smallestFailure;
    System.err.println(report);
    throw new AssertionError(report, smallestFailure);
  }

  private Throwable attempt(long seed, int size, Check<T> check) {
    try {
      check.accept(gen.generate(new SplittableRandom(seed), size));
      return null;
    } catch (Exception | AssertionError e) {
      return e;
    }
  }

  private String describe(long seed, int size) {
    try {
      String text = String.valueOf(gen.generate(new SplittableRandom(seed), size));
      return text.length() > 2000 ? text.substring(0, 2000) + "…" : text;
    } catch (RuntimeException e) {
      return "(generator failed: " + e + ")";
    }
  }
}
