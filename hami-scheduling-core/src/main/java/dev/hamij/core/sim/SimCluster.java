package dev.hamij.core.sim;

import dev.hamij.api.GpuDevice;
import dev.hamij.core.PodAllocation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The cluster a simulation starts from: its nodes and the pods already running on them. Immutable;
 * node names and GPU UUIDs are unique, and every resident pod is on a known node.
 *
 * @param nodes nodes in declaration order
 * @param residents pods running when the simulation starts; they never leave
 */
public record SimCluster(List<SimNode> nodes, List<Resident> residents) {

  /**
   * A pod running when the simulation starts.
   *
   * @param allocation its GPU allocation (as read from its annotations)
   * @param cpuMilli CPU it requests
   * @param memoryMiB memory it requests
   */
  public record Resident(PodAllocation allocation, long cpuMilli, long memoryMiB) {}

  /** Where each node's GPUs go: as declared, or every GPU switched to one mode. */
  public enum Pool {
    /** GPUs keep the mode they were declared with. */
    AS_DECLARED,
    /** Every GPU is shared through HAMi-core (MIG GPUs become hami-core GPUs with {@code split} slots). */
    HAMI_CORE,
    /** Every GPU whose model supports MIG is in MIG mode; other GPUs stay as declared. */
    MIG
  }

  public SimCluster {
    nodes = List.copyOf(nodes);
    residents = List.copyOf(residents);
    Set<String> names = new HashSet<>();
    Set<String> uuids = new HashSet<>();
    for (SimNode n : nodes) {
      if (!names.add(n.name())) {
        throw new IllegalArgumentException("node " + n.name() + " is declared twice");
      }
      for (GpuDevice g : n.gpus()) {
        if (!uuids.add(g.id())) {
          throw new IllegalArgumentException("node " + n.name() + ": GPU " + g.id() + " is declared twice");
        }
      }
    }
    for (Resident r : residents) {
      if (!names.contains(r.allocation().node())) {
        throw new IllegalArgumentException("pod " + r.allocation().namespace() + "/" + r.allocation().name()
            + " runs on unknown node " + r.allocation().node());
      }
    }
  }

  /** A cluster of these nodes with nothing running. */
  public static SimCluster of(List<SimNode> nodes) {
    return new SimCluster(nodes, List.of());
  }

  /** Total number of registered GPUs. */
  public int gpuCount() {
    int n = 0;
    for (SimNode node : nodes) {
      n += node.gpus().size();
    }
    return n;
  }

  /**
   * This cluster with every GPU moved to {@code pool}'s mode. Nodes with resident pods keep their GPUs
   * (their allocations name the GPUs as they are). {@code split} is the slot count of GPUs turned into
   * hami-core GPUs.
   */
  public SimCluster withPool(Pool pool, int split) {
    if (pool == Pool.AS_DECLARED) {
      return this;
    }
    Set<String> busy = new HashSet<>();
    for (Resident r : residents) {
      busy.add(r.allocation().node());
    }
    List<SimNode> out = new ArrayList<>(nodes.size());
    for (SimNode n : nodes) {
      if (busy.contains(n.name())) {
        out.add(n);
        continue;
      }
      List<GpuDevice> gpus = new ArrayList<>(n.gpus().size());
      for (GpuDevice g : n.gpus()) {
        if (pool == Pool.MIG && !g.isMig() && SimNode.migModel(g.type()).isPresent()) {
          gpus.add(SimNode.migGpu(g.id(), g.index(), g.type(), g.numa()));
        } else if (pool == Pool.HAMI_CORE && g.isMig()) {
          gpus.add(GpuDevice.hamiCore(g.id(), g.index(), split, g.devmem(), 100, g.type(), g.numa()));
        } else {
          gpus.add(g);
        }
      }
      out.add(n.withGpus(gpus));
    }
    return new SimCluster(out, residents);
  }
}
