package dev.hamij.core;

import dev.hamij.api.Annotations;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.PodDevices;
import dev.hamij.api.PodDevicesCodec;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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

  /**
   * The allocation a pod's annotations record: {@code hami.io/vgpu-node},
   * {@code hami.io/vgpu-devices-allocated} and, when present, {@code hami.io/vgpu-mig-allocations}.
   * Empty when the pod has no node or no allocated devices annotation (not a scheduled HAMi pod).
   *
   * @throws HamiFormatException when an annotation is malformed (HAMi does not cache such a pod)
   */
  public static Optional<PodAllocation> fromAnnotations(String uid, String namespace, String name,
      Map<String, String> annotations, int initContainerCount, boolean initReleased) {
    String node = annotations.get(Annotations.VGPU_NODE);
    String allocated = annotations.get(Annotations.DEVICES_ALLOCATED);
    if (node == null || node.isEmpty() || allocated == null) {
      return Optional.empty();
    }
    String ref = namespace + "/" + name;
    String mig = annotations.get(Annotations.MIG_ALLOCATIONS);
    return Optional.of(new PodAllocation(uid, namespace, name, node, PodDevicesCodec.decode(allocated, ref),
        mig == null || mig.isBlank() ? List.of() : MigAllocationsCodec.decode(mig, ref), initContainerCount,
        initReleased));
  }

  /** The same allocation after all init containers completed. */
  public PodAllocation withInitReleased() {
    return new PodAllocation(uid, namespace, name, node, devices, mig, initContainerCount, true);
  }
}
