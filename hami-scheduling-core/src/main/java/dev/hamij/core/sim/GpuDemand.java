package dev.hamij.core.sim;

import dev.hamij.api.GpuDevice;
import dev.hamij.core.SchedulerConfig;
import dev.hamij.core.WorkloadMix;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How much GPU a pod asks for, in thousandths of a GPU ("milli-GPU", the unit of the FGD paper's
 * arrived-workload axis): per container, GPUs × the larger of its cores share and its memory share
 * (a percentage, or MiB over the cluster's mean GPU memory), each capped at one GPU. A pod without
 * GPU requests asks for 0. Thread-safe (shapes are cached per pod shape).
 */
public final class GpuDemand {
  private final SchedulerConfig config;
  private final double meanGpuMemory;
  private final Map<List<?>, List<WorkloadMix.Shape>> cache = new HashMap<>();

  private GpuDemand(SchedulerConfig config, double meanGpuMemory) {
    this.config = config;
    this.meanGpuMemory = meanGpuMemory;
  }

  /** Demand as measured on {@code cluster} (for memory given in MiB) under {@code config}'s resource names. */
  public static GpuDemand of(SimCluster cluster, SchedulerConfig config) {
    long mem = 0;
    int n = 0;
    for (SimNode node : cluster.nodes()) {
      for (GpuDevice g : node.gpus()) {
        mem += g.devmem();
        n++;
      }
    }
    return new GpuDemand(config, n == 0 ? 1 : (double) mem / n);
  }

  /**
   * The pod's GPU request shapes (see {@link WorkloadMix#shapesOf}) with its CPU filled in.
   *
   * @throws IllegalArgumentException when the pod's GPU request is invalid
   */
  public synchronized List<WorkloadMix.Shape> shapes(SimPod pod) {
    List<?> key = List.of(pod.spec().annotations(), pod.spec().containers(), pod.cpuMilli());
    return cache.computeIfAbsent(key, k -> WorkloadMix.shapesOf(pod.spec(), config).stream()
        .map(s -> new WorkloadMix.Shape(s.gpus(), s.memoryMiB(), s.memoryPercent(), s.cores(), pod.cpuMilli()))
        .toList());
  }

  /** The pod's demand in milli-GPU; 0 when its request is invalid. */
  public long milli(SimPod pod) {
    List<WorkloadMix.Shape> shapes;
    try {
      shapes = shapes(pod);
    } catch (IllegalArgumentException e) {
      return 0;
    }
    double total = 0;
    for (WorkloadMix.Shape s : shapes) {
      total += s.gpus() * share(s);
    }
    return Math.round(total * 1000);
  }

  /** Share of one GPU that one slice of the shape takes, in [0, 1]. */
  double share(WorkloadMix.Shape s) {
    double mem = s.memoryPercent() > 0 ? s.memoryPercent() / 100.0 : s.memoryMiB() / meanGpuMemory;
    return Math.min(1, Math.max(Math.min(s.cores(), 100) / 100.0, mem));
  }
}
