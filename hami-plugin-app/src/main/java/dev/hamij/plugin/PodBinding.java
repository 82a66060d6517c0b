package dev.hamij.plugin;

import java.util.List;
import java.util.Map;

/**
 * The Kubernetes side of Allocate (node.md §2.7.1–2.7.3, §9 rows 1–2): which pod kubelet is
 * admitting, and the outcome written back to it. Implemented with fabric8 as part of the
 * Kubernetes wiring; nothing in this module implements it yet.
 */
interface PodBinding {

  /**
   * The pod kubelet is admitting on this node: the owner named by the node lock
   * {@code hami.io/mutex.lock}, else the pending pod on this node whose {@code hami.io/bind-phase}
   * is {@code allocating}.
   *
   * @throws AllocationException when no such pod exists (the node lock is then left alone)
   */
  BindingPod pendingPod() throws AllocationException;

  /**
   * Records served containers: stores {@code remainingDevicesToAllocate} as the pod's
   * {@code hami.io/vgpu-devices-to-allocate}; when no container entry is left, sets
   * {@code hami.io/bind-phase=success} and releases the node lock if this pod holds it.
   */
  void served(BindingPod pod, String remainingDevicesToAllocate) throws AllocationException;

  /**
   * Sets {@code hami.io/bind-phase=failed} and releases the node lock if this pod holds it, so the
   * node never stays locked. Never throws: failures are logged.
   */
  void failed(BindingPod pod, String reason);

  /** The pod being admitted, as Allocate needs it. */
  record BindingPod(String namespace, String name, String uid, Map<String, String> annotations,
      List<Container> initContainers, List<Container> containers) {
    public BindingPod {
      annotations = Map.copyOf(annotations);
      initContainers = List.copyOf(initContainers);
      containers = List.copyOf(containers);
    }
  }

  /** A container of the pod: its name and the environment its spec sets. */
  record Container(String name, Map<String, String> env) {
    public Container {
      env = Map.copyOf(env);
    }
  }
}
