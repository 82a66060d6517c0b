package dev.hamij.core;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One version of a node's usage: per GPU the booked slots, memory and cores, MIG instances in use and
 * fail-closed marks, derived from the node's registration and the pods on it (scheduler.md §5.2).
 * Immutable: every change produces a new version, so a decision can keep reading the version it
 * started with. Adding and removing pods is incremental and gives exactly what a rebuild gives.
 */
final class NodeState {

  /** Deterministic order of MIG instances on a GPU. */
  static final Comparator<ClusterUsage.MigInstance> INSTANCE_ORDER = Comparator
      .comparingInt((ClusterUsage.MigInstance m) -> m.allocation().placement().start())
      .thenComparingInt(m -> m.allocation().placement().size())
      .thenComparing(m -> m.allocation().profile())
      .thenComparing(ClusterUsage.MigInstance::podUid)
      .thenComparingInt(m -> m.allocation().containerIndex())
      .thenComparingInt(m -> m.allocation().deviceIndex());

  private static final List<ClusterUsage.MigInstance> NONE = List.of();

  final NodeRegistration reg;
  final int[] used;
  final int[] usedMem;
  final int[] usedCores;
  /** Number of pods whose records make the GPU fail closed. */
  final int[] votes;
  final List<List<ClusterUsage.MigInstance>> instances;
  final boolean[] healthy;
  final long[] migMask;
  final int[][] migCounts;
  /** Largest MIG profile memory still placeable per MIG GPU (-1: none). */
  final int[] migLargest;
  /**
   * Per GPU, {@link #STRIDE} ints read by the {@link Prefilter} in one sequential pass: flags,
   * free slots, free MiB, free cores, total MiB, total cores, used cores, largest placeable MIG MiB.
   */
  final int[] packed;
  final float score;

  static final int STRIDE = 8;
  static final int ELIGIBLE = 1;
  static final int MIG = 2;
  static final int IN_USE = 4;

  private NodeState(NodeRegistration reg, int[] used, int[] usedMem, int[] usedCores, int[] votes,
      List<List<ClusterUsage.MigInstance>> instances) {
    this.reg = reg;
    this.used = used;
    this.usedMem = usedMem;
    this.usedCores = usedCores;
    this.votes = votes;
    this.instances = instances;
    int n = reg.size();
    this.healthy = new boolean[n];
    this.migMask = new long[n];
    this.migCounts = new int[n][];
    this.migLargest = new int[n];
    this.packed = new int[n * STRIDE];
    long u = 0;
    long c = 0;
    long m = 0;
    long t = 0;
    long tc = 0;
    long tm = 0;
    for (int i = 0; i < n; i++) {
      healthy[i] = reg.devices[i].health() && votes[i] == 0;
      if (reg.mig[i]) {
        MigShape shape = reg.shapes[i];
        int[] counts = new int[shape.profiles.length];
        long mask = 0;
        for (ClusterUsage.MigInstance inst : instances.get(i)) {
          mask |= MigShape.mask(inst.allocation().placement());
          int p = shape.indexOf(inst.allocation().profile());
          if (p >= 0) {
            counts[p]++;
          }
        }
        migMask[i] = mask;
        migCounts[i] = counts;
        migLargest[i] = shape.largestPlaceable(mask, counts);
      }
      GpuDevice dev = reg.devices[i];
      int base = i * STRIDE;
      packed[base] = (reg.nvidia[i] && healthy[i] && !reg.cordoned[i] ? ELIGIBLE : 0) | (reg.mig[i] ? MIG : 0)
          | (used[i] > 0 ? IN_USE : 0);
      packed[base + 1] = dev.count() - used[i];
      packed[base + 2] = dev.devmem() - usedMem[i];
      packed[base + 3] = dev.devcore() - usedCores[i];
      packed[base + 4] = dev.devmem();
      packed[base + 5] = dev.devcore();
      packed[base + 6] = usedCores[i];
      packed[base + 7] = reg.mig[i] ? migLargest[i] : -1;
      u += used[i];
      c += usedCores[i];
      m += usedMem[i];
      t += reg.devices[i].count();
      tc += reg.devices[i].devcore();
      tm += reg.devices[i].devmem();
    }
    if (t == 0 || tc == 0 || tm == 0) {
      this.score = 0;
    } else {
      this.score = 10 * ((float) u / (float) t + (float) c / (float) tc + (float) m / (float) tm);
    }
  }

  /** A node's usage from scratch: its registration and every pod assigned to it. */
  static NodeState build(NodeRegistration reg, Collection<PodEntry> pods) {
    int n = reg.size();
    List<List<ClusterUsage.MigInstance>> inst = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      inst.add(NONE);
    }
    Mutable m = new Mutable(reg, new int[n], new int[n], new int[n], new int[n], inst);
    for (PodEntry p : pods) {
      m.apply(p, +1);
    }
    return m.freeze();
  }

  /** This version plus one pod. */
  NodeState plus(PodEntry pod) {
    Mutable m = mutable();
    m.apply(pod, +1);
    return m.freeze();
  }

  /** This version minus one pod that was added before. */
  NodeState minus(PodEntry pod) {
    Mutable m = mutable();
    m.apply(pod, -1);
    return m.freeze();
  }

  private Mutable mutable() {
    return new Mutable(reg, used.clone(), usedMem.clone(), usedCores.clone(), votes.clone(),
        new ArrayList<>(instances));
  }

  String name() {
    return reg.name;
  }

  int size() {
    return reg.size();
  }

  /** Apply/unapply of one pod's contribution on copies of the arrays. */
  private static final class Mutable {
    final NodeRegistration reg;
    final int[] used;
    final int[] usedMem;
    final int[] usedCores;
    final int[] votes;
    final List<List<ClusterUsage.MigInstance>> instances;

    Mutable(NodeRegistration reg, int[] used, int[] usedMem, int[] usedCores, int[] votes,
        List<List<ClusterUsage.MigInstance>> instances) {
      this.reg = reg;
      this.used = used;
      this.usedMem = usedMem;
      this.usedCores = usedCores;
      this.votes = votes;
      this.instances = instances;
    }

    /**
     * scheduler.md §5.2: book the collapsed entries; a MIG GPU takes the pod's reservations for it;
     * a MIG GPU used without a reservation, a non-MIG GPU with a reservation, and a legacy template
     * UUID make the GPU fail closed. Entries and reservations on unknown GPUs are ignored.
     */
    void apply(PodEntry pod, int sign) {
      Map<Integer, List<MigAllocation>> byGpu = new HashMap<>();
      for (MigAllocation a : pod.mig()) {
        Integer idx = reg.index.get(a.gpuUUID());
        if (idx != null) {
          byGpu.computeIfAbsent(idx, k -> new ArrayList<>()).add(a);
        }
      }
      for (PodEntry.Booking b : pod.bookings()) {
        Integer idx = reg.index.get(b.uuid());
        if (idx == null) {
          continue;
        }
        int i = idx;
        used[i] += sign * Math.max(b.slots(), 1);
        usedMem[i] += sign * b.mem();
        usedCores[i] += sign * b.cores();
        if (b.legacyMig() || (reg.mig[i] && !byGpu.containsKey(i))) {
          votes[i] += sign;
        }
      }
      for (Map.Entry<Integer, List<MigAllocation>> e : byGpu.entrySet()) {
        int i = e.getKey();
        if (!reg.mig[i]) {
          votes[i] += sign;
          continue;
        }
        List<ClusterUsage.MigInstance> list = new ArrayList<>(instances.get(i));
        if (sign > 0) {
          for (MigAllocation a : e.getValue()) {
            list.add(new ClusterUsage.MigInstance(pod.uid(), a));
          }
          list.sort(INSTANCE_ORDER);
        } else {
          list.removeIf(m -> m.podUid().equals(pod.uid()));
        }
        instances.set(i, list.isEmpty() ? NONE : List.copyOf(list));
      }
    }

    NodeState freeze() {
      return new NodeState(reg, used, usedMem, usedCores, votes, List.copyOf(instances));
    }
  }
}
