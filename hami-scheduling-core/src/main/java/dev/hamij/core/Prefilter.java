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
    NodeRegistration reg = s.reg;
    int n = s.size();
    boolean filters = pod.hasDeviceFilters();
    for (ContainerDeviceRequest r : pod.containers) {
      if (r == null) {
        continue;
      }
      int cores = Math.min(r.coresreq(), 100);
      int eligible = 0;
      boolean migEligible = false;
      for (int d = 0; d < n; d++) {
        if (!reg.nvidia[d] || !s.healthy[d] || reg.cordoned[d]) {
          continue;
        }
        GpuDevice dev = reg.devices[d];
        if (filters && !(pod.typeAllowed(reg.typeUpper[d]) && pod.modeAllowed(dev.mode())
            && pod.uuidAllowed(dev.id()))) {
          continue;
        }
        int used = s.used[d];
        if (dev.count() <= used || (pod.mutex && used > 0)) {
          continue;
        }
        int mem = r.memreq() > 0 ? r.memreq() : 0;
        if (r.mempercentage() != ContainerDeviceRequest.MEMPERCENTAGE_UNSET && r.memreq() == 0) {
          mem = dev.devmem() * r.mempercentage() / 100;
        }
        boolean mig = reg.mig[d];
        if ((!mig || strict) && dev.devmem() - s.usedMem[d] < mem) {
          continue;
        }
        int usedCores = s.usedCores[d];
        if (dev.devcore() - usedCores < cores || (dev.devcore() == 100 && cores == 100 && used > 0)
            || (dev.devcore() != 0 && usedCores == dev.devcore() && cores == 0)) {
          continue;
        }
        if (mig) {
          if (s.migLargest[d] < mem) {
            continue;
          }
          migEligible = true;
        }
        eligible++;
      }
      if (eligible < r.nums() && !migEligible) {
        return false;
      }
    }
    return true;
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
