package dev.hamij.core.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * Companion of {@link DecisionBenchmark} for an oversubscribed machine: runs the same decisions and
 * reports percentiles of the calling thread's CPU time per decision next to wall time, so time the
 * operating system gave to other processes does not count. Each size warms up for 10 s, then measures
 * 20 000 decisions. Arguments: node counts (default 100 1000 5000).
 */
public final class DecisionCpuTime {
  private DecisionCpuTime() {}

  public static void main(String[] args) {
    String[] sizes = args.length == 0 ? new String[] {"100", "1000", "5000"} : args;
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    for (String size : sizes) {
      DecisionBenchmark b = new DecisionBenchmark();
      b.nodes = Integer.parseInt(size);
      b.build();
      long warmUntil = System.nanoTime() + 10_000_000_000L;
      while (System.nanoTime() < warmUntil) {
        b.scheduleAndRelease();
      }
      measure(size, "scheduleAndRelease", b::scheduleAndRelease, mx);
      measure(size, "scheduleFreshNames", b::scheduleFreshNames, mx);
    }
  }

  private static void measure(String size, String name, Runnable decision, ThreadMXBean mx) {
    int n = 20_000;
    long[] cpu = new long[n];
    long[] wall = new long[n];
    for (int i = 0; i < n; i++) {
      long c0 = mx.getCurrentThreadCpuTime();
      long w0 = System.nanoTime();
      decision.run();
      wall[i] = System.nanoTime() - w0;
      cpu[i] = mx.getCurrentThreadCpuTime() - c0;
    }
    Arrays.sort(cpu);
    Arrays.sort(wall);
    System.out.printf("nodes=%s %s over %d decisions, us: cpu p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f"
        + " | wall p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f%n", size, name, n, q(cpu, .5), q(cpu, .9), q(cpu, .99),
      q(cpu, .999), q(wall, .5), q(wall, .9), q(wall, .99), q(wall, .999));
  }

  private static double q(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))] / 1000.0;
  }
}
