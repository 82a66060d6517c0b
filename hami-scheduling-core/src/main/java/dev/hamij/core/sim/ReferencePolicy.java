package dev.hamij.core.sim;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.core.WorkloadMix;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The FGD paper's reference policies (Random-fit, Best-fit, FGD; Weng et al., USENIX ATC '23, as
 * written up in the trace's BENCHMARK.md §4–6), run by the simulator over its own account of the
 * cluster to calibrate the harness against the published numbers. They handle one-container pods on
 * hami-core GPUs only: a fractional pod takes part of one GPU, a whole-GPU pod takes completely free
 * GPUs, and scores are whole numbers 0–100 with ties going to the first node in the run's order.
 */
final class ReferencePolicy {

  /** A placement: the node and the GPUs (global indexes) taking one slice each. */
  record Choice(int node, int[] gpus) {}

  private final SimPolicy.Reference kind;
  private final ClusterState st;
  private final SplittableRandom rng;
  private final GpuDemand demand;
  private final double cpuMax;
  private final double gpuMax;

  ReferencePolicy(SimPolicy.Reference kind, ClusterState st, GpuDemand demand, long seed) {
    this.kind = kind;
    this.demand = demand;
    this.st = st;
    this.rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
    long cpu = 1;
    int gpus = 1;
    for (SimNode n : st.nodes) {
      cpu = Math.max(cpu, n.cpuMilli());
      gpus = Math.max(gpus, n.gpus().size());
    }
    this.cpuMax = cpu;
    this.gpuMax = gpus * 1000.0;
  }

  /** Pod annotations the reference policies do not implement. */
  private static final List<String> FOREIGN = List.of(Annotations.NOUSE_GPU_TYPE, Annotations.USE_GPU_UUID,
      Annotations.NOUSE_GPU_UUID, Annotations.VGPU_MODE, Annotations.NUMA_BIND, Annotations.GPU_SCHEDULER_POLICY,
      Annotations.NODE_SCHEDULER_POLICY);

  /** Why this pod cannot be handled by a reference policy, or null when it can. */
  static String unsupported(SimPod pod, List<WorkloadMix.Shape> shapes) {
    if (pod.spec().containers().size() != 1) {
      return "reference policies handle one-container pods only";
    }
    for (String a : FOREIGN) {
      if (pod.spec().annotations().containsKey(a)) {
        return "reference policies do not implement " + a;
      }
    }
    return shapes.size() > 1 ? "reference policies handle one GPU request per pod only" : null;
  }

  /** The chosen placement among {@code candidates} (nodes with enough CPU and memory), or null. */
  Choice place(SimPod pod, WorkloadMix.Shape shape, List<Integer> candidates) {
    List<Integer> feasible = new ArrayList<>();
    List<String> types = useTypes(pod);
    for (int n : candidates) {
      if (shape == null || hosting(n, shape, types).size() >= shape.gpus()) {
        feasible.add(n);
      }
    }
    if (feasible.isEmpty()) {
      return null;
    }
    return switch (kind) {
      case RANDOM_FIT -> randomFit(feasible, shape, types);
      case BEST_FIT -> bestFit(feasible, shape, types);
      case FGD -> fgd(feasible, shape, types, pod.cpuMilli(), true);
      case FGD_GPU_ONLY -> fgd(feasible, shape, types, pod.cpuMilli(), false);
    };
  }

  private static List<String> useTypes(SimPod pod) {
    String v = pod.spec().annotations().get(Annotations.USE_GPU_TYPE);
    List<String> out = new ArrayList<>();
    if (v != null) {
      for (String t : v.split(",")) {
        if (!t.isBlank()) {
          out.add(t.trim().toUpperCase(Locale.ROOT));
        }
      }
    }
    return out;
  }

  /** GPUs of node {@code n} (global indexes, ascending) that could host one slice of the shape. */
  private List<Integer> hosting(int n, WorkloadMix.Shape shape, List<String> types) {
    List<Integer> out = new ArrayList<>();
    for (int g = st.gpuStart[n]; g < st.gpuStart[n + 1]; g++) {
      GpuDevice d = st.dev[g];
      if (d.isMig() || !typeAllowed(d, types) || !st.gpu(g).hosts(shape)) {
        continue;
      }
      out.add(g);
    }
    return out;
  }

  private static boolean typeAllowed(GpuDevice d, List<String> types) {
    if (types.isEmpty()) {
      return true;
    }
    String upper = d.type().toUpperCase(Locale.ROOT);
    for (String t : types) {
      if (upper.contains(t)) {
        return true;
      }
    }
    return false;
  }

  private boolean whole(WorkloadMix.Shape shape) {
    return demand.share(shape) >= 1;
  }

  private int[] firstFree(List<Integer> hosting, int k) {
    int[] out = new int[k];
    for (int i = 0; i < k; i++) {
      out[i] = hosting.get(i);
    }
    return out;
  }

  private Choice randomFit(List<Integer> feasible, WorkloadMix.Shape shape, List<String> types) {
    int n = feasible.get(rng.nextInt(feasible.size()));
    if (shape == null) {
      return new Choice(n, new int[0]);
    }
    List<Integer> h = hosting(n, shape, types);
    if (shape.gpus() == 1 && !whole(shape)) {
      return new Choice(n, new int[] {h.get(rng.nextInt(h.size()))});
    }
    return new Choice(n, firstFree(h, shape.gpus()));
  }

  private double gpuFreeMilli(int n) {
    double f = 0;
    for (int g = st.gpuStart[n]; g < st.gpuStart[n + 1]; g++) {
      f += st.gpu(g).freeShare();
    }
    return f * 1000;
  }

  private Choice bestFit(List<Integer> feasible, WorkloadMix.Shape shape, List<String> types) {
    double cpuReq = shape == null ? 0 : shape.cpuMilli();
    double gpuReq = shape == null ? 0 : shape.gpus() * 1000.0 * demand.share(shape);
    int[] raw = new int[feasible.size()];
    int min = Integer.MAX_VALUE;
    int max = Integer.MIN_VALUE;
    for (int i = 0; i < raw.length; i++) {
      int n = feasible.get(i);
      double s = 0.5 * (st.cpuFree[n] - cpuReq) / cpuMax + 0.5 * (gpuFreeMilli(n) - gpuReq) / gpuMax;
      raw[i] = (int) Math.floor(100 * (1 - s));
      min = Math.min(min, raw[i]);
      max = Math.max(max, raw[i]);
    }
    int best = 0;
    int bestScore = -1;
    for (int i = 0; i < raw.length; i++) {
      int score = max == min ? 0 : (raw[i] - min) * 100 / (max - min);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    int n = feasible.get(best);
    if (shape == null) {
      return new Choice(n, new int[0]);
    }
    List<Integer> h = hosting(n, shape, types);
    if (shape.gpus() == 1 && !whole(shape)) {
      int tight = h.get(0);
      for (int g : h) {
        if (st.gpu(g).freeShare() < st.gpu(tight).freeShare()) {
          tight = g;
        }
      }
      return new Choice(n, new int[] {tight});
    }
    return new Choice(n, firstFree(h, shape.gpus()));
  }

  private Choice fgd(List<Integer> feasible, WorkloadMix.Shape shape, List<String> types, long cpuReq,
      boolean withCpu) {
    int bestNode = -1;
    int bestScore = -1;
    int[] bestGpus = null;
    for (int n : feasible) {
      List<WorkloadMix.Gpu> gpus = st.gpusOf(n);
      long cpuBefore = withCpu ? st.cpuFree[n] : Long.MAX_VALUE;
      long cpuAfter = withCpu ? st.cpuFree[n] - cpuReq : Long.MAX_VALUE;
      double before = st.mix.fragmentation(gpus, cpuBefore);
      double after;
      int[] chosen;
      if (shape == null) {
        after = st.mix.fragmentation(gpus, cpuAfter);
        chosen = new int[0];
      } else {
        List<Integer> h = hosting(n, shape, types);
        if (shape.gpus() == 1 && !whole(shape)) {
          after = Double.MAX_VALUE;
          chosen = null;
          WorkloadMix.Gpu seen = null;
          for (int g : h) {
            WorkloadMix.Gpu cur = st.gpu(g);
            if (cur.equals(seen)) {
              continue;
            }
            seen = cur;
            double f = st.mix.fragmentation(with(gpus, n, new int[] {g}, shape), cpuAfter);
            if (f < after) {
              after = f;
              chosen = new int[] {g};
            }
          }
        } else {
          chosen = firstFree(h, shape.gpus());
          after = st.mix.fragmentation(with(gpus, n, chosen, shape), cpuAfter);
        }
      }
      int score = (int) Math.floor(100 / (1 + Math.exp(-(before - after))));
      if (score > bestScore) {
        bestScore = score;
        bestNode = n;
        bestGpus = chosen;
      }
    }
    return new Choice(bestNode, bestGpus);
  }

  /** The node's GPUs with one slice of {@code shape} added on each GPU of {@code taken}. */
  private List<WorkloadMix.Gpu> with(List<WorkloadMix.Gpu> gpus, int n, int[] taken, WorkloadMix.Shape shape) {
    List<WorkloadMix.Gpu> out = new ArrayList<>(gpus);
    for (int g : taken) {
      WorkloadMix.Gpu c = out.get(g - st.gpuStart[n]);
      out.set(g - st.gpuStart[n], new WorkloadMix.Gpu(c.available(), c.slots(), c.memory(), c.cores(),
          c.usedSlots() + 1, c.usedMemory() + shape.memoryOn(c.memory()), c.usedCores() + Math.min(shape.cores(), 100),
          c.migLargest()));
    }
    return out;
  }
}
