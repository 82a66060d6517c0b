package dev.hamij.api.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/**
 * A seeded generator of test values: the same {@link SplittableRandom} state and {@code size}
 * always give the same value. {@code size} bounds how big a value gets (list lengths, numbers),
 * so smaller sizes give simpler values; {@link Property} uses that to shrink failures.
 *
 * @param <T> the generated type
 */
@FunctionalInterface
public interface Gen<T> {

  /** Generates one value from {@code random} with complexity bounded by {@code size} (≥ 0). */
  T generate(SplittableRandom random, int size);

  /** A generator whose values are {@code f} applied to this one's. */
  default <R> Gen<R> map(Function<? super T, ? extends R> f) {
    return (r, size) -> f.apply(generate(r, size));
  }

  /** A generator that feeds this one's value into {@code f} to pick the next generator. */
  default <R> Gen<R> flatMap(Function<? super T, Gen<R>> f) {
    return (r, size) -> f.apply(generate(r, size)).generate(r, size);
  }

  /**
   * Only values satisfying {@code keep}; gives up with an {@link IllegalStateException} after 100
   * rejected tries, since a filter that rarely passes means the generator should be rewritten.
   */
  default Gen<T> filter(Predicate<? super T> keep) {
    return (r, size) -> {
      for (int i = 0; i < 100; i++) {
        T v = generate(r, size);
        if (keep.test(v)) {
          return v;
        }
      }
      throw new IllegalStateException("filter rejected 100 values in a row");
    };
  }

  /** Always {@code value}. */
  static <T> Gen<T> constant(T value) {
    return (r, size) -> value;
  }

  /** A uniform integer in {@code [lo, hi]}. */
  static Gen<Integer> choose(int lo, int hi) {
    if (lo > hi) {
      throw new IllegalArgumentException("empty range " + lo + ".." + hi);
    }
    return (r, size) -> (int) r.nextLong(lo, (long) hi + 1);
  }

  /** A uniform integer in {@code [lo, max(lo, min(hi, lo + size))]}: grows with size. */
  static Gen<Integer> sizedInt(int lo, int hi) {
    return (r, size) -> (int) r.nextLong(lo, Math.min((long) hi, (long) lo + size) + 1);
  }

  /** {@code true} or {@code false} with equal odds. */
  static Gen<Boolean> bool() {
    return (r, size) -> r.nextBoolean();
  }

  /** One of {@code values}, uniformly. */
  @SafeVarargs
  static <T> Gen<T> elements(T... values) {
    List<T> copy = new ArrayList<>(values.length);
    for (T v : values) {
      copy.add(v);
    }
    return elements(copy);
  }

  /** One of {@code values}, uniformly. */
  static <T> Gen<T> elements(List<? extends T> values) {
    List<? extends T> copy = List.copyOf(values);
    return (r, size) -> copy.get(r.nextInt(copy.size()));
  }

  /** A value of one of {@code gens}, chosen uniformly. */
  @SafeVarargs
  static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
    List<Gen<? extends T>> copy = new ArrayList<>(gens.length);
    for (Gen<? extends T> g : gens) {
      copy.add(g);
    }
    return (r, size) -> copy.get(r.nextInt(copy.size())).generate(r, size);
  }

  /** A generator with a relative weight, for {@link #frequency}. */
  record Weighted<T>(int weight, Gen<? extends T> gen) {
    public Weighted {
      if (weight <= 0) {
        throw new IllegalArgumentException("weight must be positive");
      }
    }
  }

  /** Pairs a weight with a generator. */
  static <T> Weighted<T> weight(int weight, Gen<? extends T> gen) {
    return new Weighted<>(weight, gen);
  }

  /** A value of one of the generators, chosen with probability proportional to its weight. */
  @SafeVarargs
  static <T> Gen<T> frequency(Weighted<T>... choices) {
    List<Weighted<T>> copy = new ArrayList<>(choices.length);
    for (Weighted<T> w : choices) {
      copy.add(w);
    }
    int total = copy.stream().mapToInt(Weighted::weight).sum();
    return (r, size) -> {
      int pick = r.nextInt(total);
      for (Weighted<T> w : copy) {
        pick -= w.weight();
        if (pick < 0) {
          return w.gen().generate(r, size);
        }
      }
      throw new AssertionError("unreachable");
    };
  }

  /** A list of {@code 0..size} values. */
  static <T> Gen<List<T>> listOf(Gen<T> element) {
    return listOf(element, 0, Integer.MAX_VALUE);
  }

  /** A list of {@code min..max(min, min(max, size))} values. */
  static <T> Gen<List<T>> listOf(Gen<T> element, int min, int max) {
    return (r, size) -> {
      int n = (int) r.nextLong(min, Math.max(min, Math.min((long) max, size)) + 1);
      List<T> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(element.generate(r, size));
      }
      return out;
    };
  }

  /** A string of {@code min..max(min, min(max, size))} characters drawn from {@code alphabet}. */
  static Gen<String> stringOf(String alphabet, int min, int max) {
    return (r, size) -> {
      int n = (int) r.nextLong(min, Math.max(min, Math.min((long) max, size)) + 1);
      StringBuilder out = new StringBuilder(n);
      for (int i = 0; i < n; i++) {
        out.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      return out.toString();
    };
  }

  /** A generator built from the current size. */
  static <T> Gen<T> sized(IntFunction<Gen<T>> bySize) {
    return (r, size) -> bySize.apply(size).generate(r, size);
  }
}
