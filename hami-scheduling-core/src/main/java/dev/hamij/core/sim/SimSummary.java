package dev.hamij.core.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One policy's runs over several seeds, reduced to the figures a summary shows: mean and standard
 * deviation of the headline measures, and per arrived-workload bucket the quartiles of the allocated
 * share across seeds. Immutable.
 *
 * @param policy policy spec
 * @param runs the runs, in seed order
 * @param allocationAt100 allocation (%) at arrived workload = 100% of capacity (runs that
 *     never reached it are left out; NaN when none did)
 * @param allocationMean allocation (%) averaged over the arrival period
 * @param allocationPeak highest allocation (%)
 * @param waitMean mean time from arrival to placement, milliseconds
 * @param gpusFull GPUs completely allocated at the last arrival
 * @param gpusShared GPUs partly allocated at the last arrival
 * @param failed pods given up
 * @param pendingAtEnd pods still waiting at the end
 * @param fragmentationAtLastArrival F(M) at the last arrival, % of capacity
 * @param p50Nanos median over runs of the runs' median decision latency
 * @param p99Nanos median over runs of the runs' 99th-percentile decision latency
 * @param curve per arrived-workload bucket: {@code [p25, median, p75]} of the allocation over the
 *     runs that have the bucket, or {@code null}
 */
public record SimSummary(String policy, List<SimResult> runs, Stat allocationAt100, Stat allocationMean,
    Stat allocationPeak, Stat waitMean, Stat gpusFull, Stat gpusShared, Stat failed, Stat pendingAtEnd,
    Stat fragmentationAtLastArrival, long p50Nanos, long p99Nanos,
    List<double[]> curve) {

  /**
   * Mean and sample standard deviation of one measure over runs.
   *
   * @param mean mean (NaN without values)
   * @param sd sample standard deviation (0 for one value, NaN without values)
   * @param min smallest value
   * @param max largest value
   * @param n number of values
   */
  public record Stat(double mean, double sd, double min, double max, int n) {
    static Stat of(double[] values) {
      double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).toArray();
      if (v.length == 0) {
        return new Stat(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
      }
      double mean = Arrays.stream(v).average().orElseThrow();
      double ss = 0;
      for (double x : v) {
        ss += (x - mean) * (x - mean);
      }
      double sd = v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0;
      return new Stat(mean, sd, Arrays.stream(v).min().orElseThrow(), Arrays.stream(v).max().orElseThrow(), v.length);
    }
  }

  public SimSummary {
    runs = List.copyOf(runs);
    curve = Collections.unmodifiableList(new ArrayList<>(curve));
  }

  /**
   * Summarises the runs of one policy.
   *
   * @throws IllegalArgumentException when {@code runs} is empty or mixes policies
   */
  public static SimSummary of(List<SimResult> runs) {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("no runs to summarise");
    }
    String policy = runs.get(0).policy();
    for (SimResult r : runs) {
      if (!r.policy().equals(policy)) {
        throw new IllegalArgumentException("runs of policies " + policy + " and " + r.policy() + " mixed");
      }
    }
    int buckets = 0;
    for (SimResult r : runs) {
      buckets = Math.max(buckets, r.allocationByArrived().size());
    }
    List<double[]> curve = new ArrayList<>(buckets);
    for (int b = 0; b < buckets; b++) {
      List<Double> vals = new ArrayList<>();
      for (SimResult r : runs) {
        double v = r.allocationAt(b);
        if (!Double.isNaN(v)) {
          vals.add(v);
        }
      }
      if (vals.isEmpty()) {
        curve.add(null);
      } else {
        double[] sorted = vals.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        curve.add(new double[] {quantile(sorted, 0.25), quantile(sorted, 0.5), quantile(sorted, 0.75)});
      }
    }
    long[] p50 = runs.stream().mapToLong(r -> r.latency().p50Nanos()).sorted().toArray();
    long[] p99 = runs.stream().mapToLong(r -> r.latency().p99Nanos()).sorted().toArray();
    return new SimSummary(policy, runs, stat(runs, r -> r.allocationAt(100)),
        stat(runs, r -> r.totals().meanAllocatedPct()), stat(runs, r -> r.totals().peakAllocatedPct()),
        stat(runs, r -> r.totals().meanWaitMillis()),
        stat(runs, r -> r.totals().atLastArrival().gpusFull()), stat(runs, r -> r.totals().atLastArrival().gpusShared()),
        stat(runs, r -> r.totals().failed()), stat(runs, r -> r.totals().pendingAtEnd()),
        stat(runs, r -> r.totals().atLastArrival().fragmentationPct()), p50[(p50.length - 1) / 2],
        p99[(p99.length - 1) / 2], curve);
  }

  private static Stat stat(List<SimResult> runs, ToDoubleFunction<SimResult> f) {
    return Stat.of(runs.stream().mapToDouble(f).toArray());
  }

  /** Linear-interpolated quantile of sorted values. */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
}
