package dev.hamij.core.sim;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import dev.hamij.core.WorkloadMix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulator's own account of every node's CPU, memory and per-GPU bookings, kept next to the
 * scheduler's ledger (and checked against it), plus the running totals the measures need: allocated
 * share, booked memory and cores, free share and the fragmentation F(M) per node. MIG GPUs are
 * measured by booked memory; their placement limits do not enter F(M).
 */
final class ClusterState {

  /** A pod holding resources, with the GPU demand (milli-GPU) it serves. */
  record Placed(SimPod pod, int node, List<ContainerDevice> devices, List<MigAllocation> mig, long demandMilli) {}

  final SimNode[] nodes;
  final String[] internal;
  final Map<String, Integer> byInternal = new HashMap<>();
  final long[] cpuFree;
  final long[] memFree;
  final int[] gpuStart;
  final GpuDevice[] dev;
  final int[] usedMem;
  final int[] usedCores;
  final int[] usedSlots;
  final Map<String, Integer> gpuByUuid = new HashMap<>();
  final List<List<MigAllocation>> migOn;
  final WorkloadMix mix;
  private final double[] frag;
  private final double[] share;
  private final double[] free;
  double fragTotal;
  /** Booked share summed over GPUs (what the GPUs physically give away). */
  double bookedTotal;
  /** GPU demand of the pods holding resources, milli-GPU (the paper's allocation). */
  long demandRunning;
  double freeTotal;
  long memBooked;
  long coresBooked;
  final long memCapacity;
  final long coreCapacity;
  long migCreated;
  long migDestroyed;
  long migRelayouts;

  ClusterState(SimNode[] nodes, String[] internal, WorkloadMix mix) {
    this.nodes = nodes;
    this.internal = internal;
    this.mix = mix;
    int n = nodes.length;
    cpuFree = new long[n];
    memFree = new long[n];
    gpuStart = new int[n + 1];
    int g = 0;
    for (int i = 0; i < n; i++) {
      byInternal.put(internal[i], i);
      cpuFree[i] = nodes[i].cpuMilli();
      memFree[i] = nodes[i].memoryMiB();
      gpuStart[i] = g;
      g += nodes[i].gpus().size();
    }
    gpuStart[n] = g;
    dev = new GpuDevice[g];
    usedMem = new int[g];
    usedCores = new int[g];
    usedSlots = new int[g];
    share = new double[g];
    free = new double[g];
    migOn = new ArrayList<>(g);
    frag = new double[n];
    long mc = 0;
    long cc = 0;
    for (int i = 0; i < n; i++) {
      for (GpuDevice d : nodes[i].gpus()) {
        int k = gpuByUuid.size();
        gpuByUuid.put(d.id(), k);
        dev[k] = d;
        migOn.add(new ArrayList<>());
        free[k] = gpu(k).freeShare();
        freeTotal += free[k];
        mc += d.devmem();
        cc += d.devcore();
      }
      refresh(i);
    }
    memCapacity = mc;
    coreCapacity = cc;
  }

  int gpuCount() {
    return dev.length;
  }

  /**
   * GPU {@code g} as the fragmentation measure sees it; a MIG GPU by its free memory (its placement
   * limits are the scheduler's and are not modelled here).
   */
  WorkloadMix.Gpu gpu(int g) {
    GpuDevice d = dev[g];
    return new WorkloadMix.Gpu(d.health(), d.count(), d.devmem(), d.devcore(), usedSlots[g], usedMem[g], usedCores[g],
        d.isMig() ? d.devmem() - usedMem[g] : Integer.MAX_VALUE);
  }

  List<WorkloadMix.Gpu> gpusOf(int node) {
    List<WorkloadMix.Gpu> out = new ArrayList<>(gpuStart[node + 1] - gpuStart[node]);
    for (int g = gpuStart[node]; g < gpuStart[node + 1]; g++) {
      out.add(gpu(g));
    }
    return out;
  }

  /** Booked share of GPU {@code g} in [0, 1]: the larger of its booked memory and cores shares. */
  double shareOf(int g) {
    return share[g];
  }

  /** Books ({@code sign} = 1) or releases ({@code sign} = -1) a pod's CPU, memory, GPU slices and MIG instances. */
  void apply(Placed p, int sign) {
    int node = p.node();
    cpuFree[node] -= sign * p.pod().cpuMilli();
    demandRunning += sign * p.demandMilli();
    memFree[node] -= sign * p.pod().memoryMiB();
    for (ContainerDevice d : p.devices()) {
      int g = gpuByUuid.get(d.uuid());
      usedMem[g] += sign * d.usedmem();
      usedCores[g] += sign * d.usedcores();
      usedSlots[g] += sign;
      memBooked += (long) sign * d.usedmem();
      coresBooked += (long) sign * d.usedcores();
      GpuDevice dv = dev[g];
      double s = Math.min(1, Math.max(dv.devmem() > 0 ? (double) usedMem[g] / dv.devmem() : 0,
          dv.devcore() > 0 ? (double) usedCores[g] / dv.devcore() : 0));
      bookedTotal += s - share[g];
      share[g] = s;
      double f = gpu(g).freeShare();
      freeTotal += f - free[g];
      free[g] = f;
    }
    for (MigAllocation a : p.mig()) {
      List<MigAllocation> on = migOn.get(gpuByUuid.get(a.gpuUUID()));
      if (sign > 0) {
        migCreated++;
        if (!on.isEmpty()) {
          migRelayouts++;
        }
        on.add(a);
      } else {
        on.remove(a);
        migDestroyed++;
        if (!on.isEmpty()) {
          migRelayouts++;
        }
      }
    }
    refresh(node);
  }

  private void refresh(int node) {
    double f = mix.fragmentation(gpusOf(node), cpuFree[node]);
    fragTotal += f - frag[node];
    frag[node] = f;
  }
}
