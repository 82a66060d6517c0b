package dev.hamij.mig;

import static dev.hamij.mig.RealiseTest.at;
import static dev.hamij.mig.RealiseTest.reserve;

import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;
import dev.hamij.nvml.SimulatedNvml;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Latency of a MIG Allocate ({@link MigManager#realise}) on the simulated NVML, not run in CI:
 * {@code ./mvnw -B -q -pl hami-mig -am -Pmig-bench -DskipTests verify} (optional {@code -Dmig.bench.rounds=N}).
 *
 * <p>Each round fills an A100-40GB with seven {@code 1g.5gb} pods, one Allocate each (the timed "create" path:
 * GPU instance, compute instance, MIG device lookup, identity write-back to an in-memory API server), repeats each
 * Allocate (the timed "reuse" path), then ends the pods and reconciles (not timed). The simulator answers in
 * microseconds, so the figures are the manager's own overhead, not the driver's (a real GI creation takes
 * hundreds of milliseconds).
 */
public final class MigAllocateBenchmark {
  /** Held strongly: java.util.logging forgets the level of a logger nobody references. */
  private static final Logger MIG_LOG = Logger.getLogger("dev.hamij.mig");

  private MigAllocateBenchmark() {}

  public static void main(String[] args) {
    MIG_LOG.setLevel(Level.WARNING);
    int rounds = Integer.getInteger("mig.bench.rounds", 20_000);
    SimulatedNvml nvml = SimGpus.oneA100();
    FakeCluster cluster = new FakeCluster();
    long[] create = new long[rounds * 7];
    long[] reuse = new long[rounds * 7];
    int warmup = Math.max(1, rounds / 5);
    try (MigManager mig = MigManager.create(nvml,
        new MigSettings("bench-node", NodeConfig.FilterDevices.NONE, false, 5, MigProfileTable.bundled()),
        cluster)) {
      mig.reconcileOnce();
      int n = 0;
      for (int round = -warmup; round < rounds; round++) {
        List<PodRef> pods = new ArrayList<>();
        for (int start = 0; start < 7; start++) {
          PodRef pod = cluster.addPod("r" + round + "s" + start, reserve(at(0, SimGpus.A100_UUID, "1g.5gb", start, 1)));
          pods.add(pod);
          long t0 = System.nanoTime();
          mig.realise(pod, cluster.allocations(pod), 0, List.of(SimGpus.A100_UUID));
          long t1 = System.nanoTime();
          mig.realise(pod, cluster.allocations(pod), 0, List.of(SimGpus.A100_UUID));
          long t2 = System.nanoTime();
          if (round >= 0) {
            create[n] = t1 - t0;
            reuse[n] = t2 - t1;
            n++;
          }
        }
        pods.forEach(cluster::deletePod);
        if (mig.reconcileOnce().destroyed().size() != 7) {
          throw new IllegalStateException("round " + round + " did not destroy its seven instances");
        }
      }
    }
    System.out.printf("MIG Allocate on the simulated NVML (A100-40GB, 1g.5gb), %d Allocates per path, Java %s,"
        + " %d CPUs%n", create.length, Runtime.version(), Runtime.getRuntime().availableProcessors());
    report("create", create);
    report("reuse ", reuse);
  }

  private static void report(String name, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf("  %s  p50 %7.1f us  p90 %7.1f us  p99 %7.1f us  p99.9 %8.1f us  max %8.1f us%n", name,
        micros(sorted, 0.50), micros(sorted, 0.90), micros(sorted, 0.99), micros(sorted, 0.999),
        sorted[sorted.length - 1] / 1000.0);
  }

  private static double micros(long[] sorted, double quantile) {
    int i = (int) Math.ceil(quantile * sorted.length) - 1;
    return sorted[Math.max(0, i)] / 1000.0;
  }
}
