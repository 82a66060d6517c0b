package dev.hamij.core;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A consistent, immutable picture of what the ledger holds: per node and GPU the booked slots,
 * memory, cores and MIG instances; per pod its collapsed usage; per namespace its quota use. For
 * metrics, simulators and tests. Lists are sorted (nodes and pods by name/uid, GPUs in registration
 * order), so two ledgers holding the same objects produce equal usages.
 *
 * @param nodes registered nodes, by name
 * @param pods pod allocations, by uid (including pods on nodes that are not registered)
 * @param quotas quota use per namespace and resource, by namespace then resource
 */
public record ClusterUsage(List<NodeUsage> nodes, List<PodUsage> pods, List<QuotaUsage> quotas) {

  public ClusterUsage {
    nodes = List.copyOf(nodes);
    pods = List.copyOf(pods);
    quotas = List.copyOf(quotas);
  }

  /** The node with that name, if registered. */
  public Optional<NodeUsage> node(String name) {
    return nodes.stream().filter(n -> n.name().equals(name)).findFirst();
  }

  /**
   * One registered node.
   *
   * @param name node name
   * @param score node score before any new pod (scheduler.md §5.11)
   * @param gpus GPUs in registration order
   */
  public record NodeUsage(String name, float score, List<GpuUsage> gpus) {
    public NodeUsage {
      gpus = List.copyOf(gpus);
    }
  }

  /**
   * One GPU with its bookings.
   *
   * @param device the GPU as registered
   * @param healthy registered health and no fail-closed MIG inconsistency (scheduler.md §5.2)
   * @param cordoned listed in the node's {@code hami.io/device-cordon}
   * @param used booked slots
   * @param usedMemory booked MiB
   * @param usedCores booked cores (percent)
   * @param migInstances MIG instances in use, sorted by placement
   */
  public record GpuUsage(GpuDevice device, boolean healthy, boolean cordoned, int used, int usedMemory,
      int usedCores, List<MigInstance> migInstances) {
    public GpuUsage {
      migInstances = List.copyOf(migInstances);
    }
  }

  /**
   * A MIG instance reserved by a pod.
   *
   * @param podUid owner pod
   * @param allocation the reservation (profile, placement, runtime identity once created)
   */
  public record MigInstance(String podUid, MigAllocation allocation) {}

  /**
   * One pod's booked usage, collapsed to one entry per physical GPU (scheduler.md §3.5).
   *
   * @param uid pod UID
   * @param namespace pod namespace
   * @param name pod name
   * @param node assigned node
   * @param devices collapsed usage, sorted by GPU UUID
   */
  public record PodUsage(String uid, String namespace, String name, String node, List<ContainerDevice> devices) {
    public PodUsage {
      devices = List.copyOf(devices);
    }
  }

  /**
   * Quota use of one namespace for one resource (scheduler.md §7).
   *
   * @param namespace namespace
   * @param resource resource name, e.g. {@code nvidia.com/gpumem}
   * @param used booked amount (MiB or percent), summed over the namespace's pods
   * @param limit effective limit (already multiplied by {@code memoryFactor} for memory) when a quota sets one
   * @param quotaNames names of the ResourceQuota objects that set a limit for this resource, sorted
   */
  public record QuotaUsage(String namespace, String resource, long used, OptionalLong limit, List<String> quotaNames) {
    public QuotaUsage {
      quotaNames = List.copyOf(quotaNames);
    }
  }
}
