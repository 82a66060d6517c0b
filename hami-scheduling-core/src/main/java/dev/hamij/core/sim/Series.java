package dev.hamij.core.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The per-step measures of one run, kept in growable columns, with downsampling and arrived-workload buckets. */
final class Series {
  static final int ALLOCATED = 0;
  static final int FRAGMENTATION = 1;

  private int size;
  private long[] step = new long[1024];
  private long[] time = new long[1024];
  private double[] arrived = new double[1024];
  private double[] allocated = new double[1024];
  private double[] memory = new double[1024];
  private double[] cores = new double[1024];
  private int[] pending = new int[1024];
  private int[] running = new int[1024];
  private long[] failed = new long[1024];
  private double[] fragmentation = new double[1024];

  void add(long s, long t, double arrivedPct, double allocatedPct, double memoryPct, double coresPct, int pend,
      int run, long fail, double fragPct) {
    if (size == step.length) {
      int n = size * 2;
      step = Arrays.copyOf(step, n);
      time = Arrays.copyOf(time, n);
      arrived = Arrays.copyOf(arrived, n);
      allocated = Arrays.copyOf(allocated, n);
      memory = Arrays.copyOf(memory, n);
      cores = Arrays.copyOf(cores, n);
      pending = Arrays.copyOf(pending, n);
      running = Arrays.copyOf(running, n);
      failed = Arrays.copyOf(failed, n);
      fragmentation = Arrays.copyOf(fragmentation, n);
    }
    step[size] = s;
    time[size] = t;
    arrived[size] = arrivedPct;
    allocated[size] = allocatedPct;
    memory[size] = memoryPct;
    cores[size] = coresPct;
    pending[size] = pend;
    running[size] = run;
    failed[size] = fail;
    fragmentation[size] = fragPct;
    size++;
  }

  /** Mean allocated share over all steps (0 without steps). */
  double meanAllocated() {
    double sum = 0;
    for (int i = 0; i < size; i++) {
      sum += allocated[i];
    }
    return size == 0 ? 0 : sum / size;
  }

  /** At most {@code max} evenly spaced samples, always including the first and the last step. */
  List<SimResult.Sample> samples(int max) {
    List<SimResult.Sample> out = new ArrayList<>();
    if (size == 0) {
      return out;
    }
    int n = Math.min(size, max);
    int last = -1;
    for (int k = 0; k < n; k++) {
      int i = n == 1 ? size - 1 : (int) ((long) k * (size - 1) / (n - 1));
      if (i != last) {
        out.add(new SimResult.Sample(step[i], time[i], arrived[i], allocated[i], memory[i], cores[i], pending[i],
            running[i], failed[i], fragmentation[i]));
        last = i;
      }
    }
    return out;
  }

  /**
   * Mean of a column per arrived-workload bucket (arrived % rounded to a whole number). An empty bucket
   * takes the mean of its non-empty neighbours at ±1; with none it is {@code null}.
   */
  List<Double> byArrived(int column) {
    double[] values = column == ALLOCATED ? allocated : fragmentation;
    int buckets = 0;
    for (int i = 0; i < size; i++) {
      buckets = Math.max(buckets, bucket(arrived[i]) + 1);
    }
    double[] sum = new double[buckets];
    int[] count = new int[buckets];
    for (int i = 0; i < size; i++) {
      int b = bucket(arrived[i]);
      sum[b] += values[i];
      count[b]++;
    }
    List<Double> out = new ArrayList<>(buckets);
    for (int b = 0; b < buckets; b++) {
      if (count[b] > 0) {
        out.add(sum[b] / count[b]);
        continue;
      }
      double s = 0;
      int k = 0;
      for (int nb : new int[] {b - 1, b + 1}) {
        if (nb >= 0 && nb < buckets && count[nb] > 0) {
          s += sum[nb] / count[nb];
          k++;
        }
      }
      out.add(k == 0 ? null : s / k);
    }
    return out;
  }

  private static int bucket(double pct) {
    return (int) Math.max(0, Math.round(pct));
  }
}
