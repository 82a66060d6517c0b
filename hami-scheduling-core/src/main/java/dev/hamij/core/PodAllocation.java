package dev.hamij.core;

import dev.hamij.api.MigAllocation;
import dev.hamij.api.PodDevices;
import java.util.List;
import java.util.Objects;

/**
 * A pod's GPU allocation as recorded in its annotations ({@code hami.io/vgpu-node},
 * {@code hami.io/vgpu-devices-allocated}, {@code hami.io/vgpu-mig-allocations}), the input of
 * {@link GpuScheduler#upsertPod}. Immutable.
 *
 * @param uid pod UID, the ledger key
 * @param namespace pod namespace (quota accounting)
 * @param name pod name
 * @param node node the pod is assigned to
 * @param devices decoded pod devices, one entry per container in init-first order
 * @param mig decoded MIG reservations (empty when none)
 * @param initContainerCount number of init containers (entries below this index are init containers)
 * @param initReleased true once every init container terminated successfully: usage shrinks to the
 *     regular containers' sums (scheduler.md §3.5)
 */
public record PodAllocation(String uid, String namespace, String name, String node, PodDevices devices,
    List<MigAllocation> mig, int initContainerCount, boolean initReleased) {

  public PodAllocation {
    if (uid == null || uid.isEmpty()) {
      throw new IllegalArgumentException("pod allocation needs a uid");
    }
    if (node == null || node.isEmpty()) {
      throw new IllegalArgumentException("pod allocation of " + uid + " needs a node");
    }
    namespace = namespace == null ? "" : namespace;
    name = name == null ? "" : name;
    Objects.requireNonNull(devices, "devices");
    mig = mig == null ? List.of() : List.copyOf(mig);
    if (initContainerCount < 0) {
      throw new IllegalArgumentException("initContainerCount must not be negative");
    }
  }

  /** The same allocation after all init containers completed. */
  public PodAllocation withInitReleased() {
    return new PodAllocation(uid, namespace, name, node, devices, mig, initContainerCount, true);
  }
}
