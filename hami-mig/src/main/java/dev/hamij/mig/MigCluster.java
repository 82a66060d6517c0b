package dev.hamij.mig;

import java.util.List;
import java.util.Optional;

/**
 * What the MIG manager needs from the cluster; the device-plugin app implements it with its Kubernetes client.
 * Every method may throw any {@link RuntimeException} when the API server cannot answer; the manager then fails
 * safe (it destroys nothing it cannot prove released, and fails the Allocate that needed the answer).
 */
public interface MigCluster {

  /**
   * Every pod bound to this node whose containers may still run: not {@code Succeeded} or {@code Failed}, and
   * <em>including</em> pods in graceful termination, with the raw value of their
   * {@code hami.io/vgpu-mig-allocations} annotation (null or empty when absent). Must be complete: when the list
   * cannot be read entirely, throw instead of returning part of it.
   */
  List<NodePod> activePods();

  /**
   * The pod's current {@code hami.io/vgpu-mig-allocations} value and {@code metadata.resourceVersion}, read fresh
   * from the API server; empty when the pod no longer exists or now has another uid.
   */
  Optional<VersionedAllocations> readAllocations(PodRef pod);

  /**
   * Replaces the pod's {@code hami.io/vgpu-mig-allocations} annotation, but only while its resourceVersion is still
   * {@code resourceVersion} (optimistic concurrency, e.g. a merge patch carrying {@code metadata.resourceVersion}).
   *
   * @return true when written, false when the API server answered 409 Conflict
   */
  boolean replaceAllocations(PodRef pod, String resourceVersion, String allocations);

  /** A pod bound to this node and the raw value of its MIG reservation annotation (null when absent). */
  record NodePod(PodRef pod, String migAllocations) {
    public NodePod {
      if (pod == null) {
        throw new IllegalArgumentException("a node pod needs its pod reference");
      }
    }
  }

  /** An annotation value together with the resourceVersion it was read at. */
  record VersionedAllocations(String allocations, String resourceVersion) {
    public VersionedAllocations {
      if (resourceVersion == null || resourceVersion.isEmpty()) {
        throw new IllegalArgumentException("a versioned read needs the pod's resourceVersion");
      }
    }
  }
}
