package dev.hamij.core.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.ToLongFunction;

/**
 * The pods a simulation offers to the scheduler, in arrival order (pods arriving at the same time keep
 * their given order). Immutable; pod uids are unique. The generators are deterministic for a seed.
 */
public final class Workload {

  /**
   * A pod shape the Poisson generator draws from.
   *
   * @param prototype the pod copied for every draw (name and uid get a sequence suffix)
   * @param weight relative probability of being drawn (&gt; 0)
   * @param meanDurationMillis mean of the exponential run time; 0 or less: the pod never leaves
   */
  public record Template(SimPod prototype, double weight, long meanDurationMillis) {
    public Template {
      if (!(weight > 0)) {
        throw new IllegalArgumentException("template " + prototype.spec().name() + ": weight must be positive");
      }
    }
  }

  private final List<SimPod> pods;

  private Workload(List<SimPod> pods) {
    this.pods = pods;
  }

  /** These pods sorted by arrival time (stable). */
  public static Workload of(List<SimPod> pods) {
    List<SimPod> sorted = new ArrayList<>(pods);
    sorted.sort(Comparator.comparingLong(SimPod::arrivalMillis));
    Set<String> uids = new HashSet<>();
    for (SimPod p : sorted) {
      if (!uids.add(p.spec().uid())) {
        throw new IllegalArgumentException("pod " + p.spec().ref() + ": uid " + p.spec().uid() + " is used twice");
      }
    }
    return new Workload(List.copyOf(sorted));
  }

  /** The pods in arrival order. */
  public List<SimPod> pods() {
    return pods;
  }

  /** This workload plus {@code other}'s pods, merged by arrival time (this workload's pods first on ties). */
  public Workload plus(Workload other) {
    List<SimPod> all = new ArrayList<>(pods);
    all.addAll(other.pods);
    return of(all);
  }

  /**
   * {@code count} pods arriving as a Poisson process (exponential gaps of mean {@code meanIntervalMillis},
   * first gap counted from {@code startMillis}), each a copy of a template drawn by weight and named
   * {@code <template>-<n>}, running for an exponential time of the template's mean.
   */
  public static Workload poisson(List<Template> templates, int count, long meanIntervalMillis, long startMillis,
      long seed) {
    if (templates.isEmpty() || count < 0 || meanIntervalMillis < 0) {
      throw new IllegalArgumentException("poisson workload needs templates, count >= 0 and a mean interval >= 0");
    }
    double totalWeight = 0;
    for (Template t : templates) {
      totalWeight += t.weight();
    }
    SplittableRandom rng = new SplittableRandom(seed);
    List<SimPod> out = new ArrayList<>(count);
    double time = startMillis;
    for (int i = 0; i < count; i++) {
      time += exponential(rng, meanIntervalMillis);
      double pick = rng.nextDouble() * totalWeight;
      Template t = templates.get(templates.size() - 1);
      for (Template c : templates) {
        pick -= c.weight();
        if (pick < 0) {
          t = c;
          break;
        }
      }
      String name = t.prototype().spec().name() + "-" + i;
      SimPod p = t.prototype().copy(name, t.prototype().spec().uid() + "-" + i, Math.round(time));
      long duration = t.meanDurationMillis() <= 0 ? SimPod.FOREVER
          : Math.max(1, Math.round(exponential(rng, t.meanDurationMillis())));
      out.add(new SimPod(p.spec(), p.cpuMilli(), p.memoryMiB(), p.arrivalMillis(), duration));
    }
    return of(out);
  }

  private static double exponential(SplittableRandom rng, double mean) {
    return mean <= 0 ? 0 : -mean * Math.log(1 - rng.nextDouble());
  }

  /**
   * The FGD paper's workload protocol (Weng et al., USENIX ATC '23): the pods shuffled with the seed;
   * then, while their total demand is below {@code targetMilli}, copies of pods drawn uniformly (with
   * replacement) from the original list are appended until the next draw would overshoot; above the
   * target, uniformly drawn pods are removed until the total is at or below it. Pods arrive one
   * millisecond apart in that order and never leave.
   */
  public static Workload inflated(List<SimPod> original, ToLongFunction<SimPod> demandMilli, long targetMilli,
      long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<SimPod> seq = new ArrayList<>(original);
    for (int i = seq.size() - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      SimPod t = seq.get(i);
      seq.set(i, seq.get(j));
      seq.set(j, t);
    }
    long total = 0;
    for (SimPod p : seq) {
      total += demandMilli.applyAsLong(p);
    }
    boolean anyDemand = original.stream().anyMatch(p -> demandMilli.applyAsLong(p) > 0);
    if (total <= targetMilli && anyDemand) {
      int clone = 0;
      while (true) {
        SimPod t = original.get(rng.nextInt(original.size()));
        long d = demandMilli.applyAsLong(t);
        if (total + d > targetMilli) {
          break;
        }
        clone++;
        seq.add(t.copy(t.spec().name() + "-clone-" + clone, t.spec().uid() + "-clone-" + clone, 0));
        total += d;
      }
    } else if (total > targetMilli) {
      while (total > targetMilli && !seq.isEmpty()) {
        SimPod removed = seq.remove(rng.nextInt(seq.size()));
        total -= demandMilli.applyAsLong(removed);
      }
    }
    List<SimPod> out = new ArrayList<>(seq.size());
    for (int i = 0; i < seq.size(); i++) {
      SimPod p = seq.get(i);
      out.add(new SimPod(p.spec(), p.cpuMilli(), p.memoryMiB(), i, SimPod.FOREVER));
    }
    return of(out);
  }
}
