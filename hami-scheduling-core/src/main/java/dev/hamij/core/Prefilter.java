package dev.hamij.core;

import dev.hamij.api.ContainerDeviceRequest;
import dev.hamij.api.GpuDevice;

/**
 * Cheap necessary conditions that let a decision skip nodes without changing its result: a node is
 * skipped only when some container finds fewer GPUs that pass every per-GPU check on the node's
 * current usage than it asks for (and no MIG GPU could serve it several times), or when the pod's
 * minimum memory already exceeds its namespace quota. Anything else goes through the full fit.
 */
final class Prefilter {
  private Prefilter() {}

  /** False only when {@link NodeFit#evaluate} would certainly not fit the pod on this node. */
  static boolean mayFit(NodeState s, PodRequest pod, boolean strict) {
    int[] p = s.packed;
    int n = s.size();
    boolean filters = pod.hasDeviceFilters();
    for (ContainerDeviceRequest r : pod.containers) {
      if (r == null) {
        continue;
      }
      int cores = Math.min(r.coresreq(), 100);
      int memreq = r.memreq();
      int pct = memreq == 0 && r.mempercentage() != ContainerDeviceRequest.MEMPERCENTAGE_UNSET ? r.mempercentage() : -1;
      int need = r.nums();
      int eligible = 0;
      boolean migEligible = false;
      for (int d = 0, base = 0; d < n && eligible < need && !migEligible; d++, base += NodeState.STRIDE) {
        int flags = p[base];
        if ((flags & NodeState.ELIGIBLE) == 0 || p[base + 1] <= 0
            || (pod.mutex && (flags & NodeState.IN_USE) != 0)) {
          continue;
        }
        int totalMem = p[base + 4];
        int mem = pct >= 0 ? totalMem * pct / 100 : memreq;
        boolean mig = (flags & NodeState.MIG) != 0;
        if ((!mig || strict) && p[base + 2] < mem) {
          continue;
        }
        int totalCore = p[base + 5];
        if ((!mig || strict) && (p[base + 3] < cores
            || (totalCore == 100 && cores == 100 && (flags & NodeState.IN_USE) != 0)
            || (totalCore != 0 && p[base + 6] == totalCore && cores == 0))) {
          continue;
        }
        if (mig && p[base + 7] < mem) {
          continue;
        }
        if (filters && !deviceAllowed(s, d, pod)) {
          continue;
        }
        migEligible = mig;
        eligible++;
      }
      if (eligible < need && !migEligible) {
        return false;
      }
    }
    return true;
  }

  private static boolean deviceAllowed(NodeState s, int d, PodRequest pod) {
    GpuDevice dev = s.reg.devices[d];
    return pod.typeAllowed(s.reg.typeUpper[d]) && pod.modeAllowed(dev.mode()) && pod.uuidAllowed(dev.id());
  }

  /**
   * False only when no node can fit the pod because of its namespace memory quota: every placement
   * books at least the admission total of requested MiB (scheduler.md §7), which must fit the quota.
   */
  static boolean quotaMayFit(PodRequest pod, NodeFit.QuotaView quota) {
    if (!quota.memSet()) {
      return true;
    }
    return quota.fits(pod.admissionTotals()[0], 0);
  }
}
