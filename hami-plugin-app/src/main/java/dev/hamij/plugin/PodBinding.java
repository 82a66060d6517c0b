package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Kubernetes side of Allocate (node.md §2.7.1–2.7.3, §9 rows 1–2): which pod kubelet is
 * admitting, and the outcome written back to it.
 */
interface PodBinding {

  /**
   * The pod kubelet is admitting on this node: the owner named by the node lock
   * {@code hami.io/mutex.lock} when it {@link BindingPod#beingBoundTo is being bound here} and has
   * containers left to serve, else the one pod being bound here with containers left, or, among
   * several, the one whose next containers ask for {@code requestSizes} devices.
   *
   * @throws AllocationException when no pod, or more than one, fits: the plugin never guesses, and
   *     nothing is marked then
   */
  BindingPod pendingPod(List<Integer> requestSizes) throws AllocationException;

  /**
   * Records served containers: empties their entries of {@code hami.io/vgpu-devices-to-allocate}
   * with optimistic concurrency, re-reading the pod after a conflict and refusing when another call
   * consumed an entry meanwhile. When no entry is left, sets {@code hami.io/bind-phase=success} and
   * releases the node lock if this pod holds it.
   */
  void served(BindingPod pod, List<Integer> containerIndexes) throws AllocationException;

  /**
   * Sets {@code hami.io/bind-phase=failed} and releases the node lock if this pod holds it, so the
   * node never stays locked. Never throws: failures are logged.
   */
  void failed(BindingPod pod, String reason);

  /**
   * The pod being admitted, as Allocate needs it.
   *
   * @param bindTime {@code hami.io/bind-time}, or null when absent or unreadable
   * @param lockedNodeVersion the Node's resourceVersion when its lock was seen naming this pod; null
   *     when the lock does not name it
   */
  record BindingPod(String namespace, String name, String uid, String resourceVersion, String nodeName,
      String phase, boolean deleting, Instant bindTime, Map<String, String> annotations,
      List<Container> initContainers, List<Container> containers, String lockedNodeVersion) {
    public BindingPod {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      uid = uid == null ? "" : uid;
      annotations = Map.copyOf(annotations);
      initContainers = List.copyOf(initContainers);
      containers = List.copyOf(containers);
    }

    /** {@code namespace/name}. */
    String ref() {
      return namespace + "/" + name;
    }

    /** The container at {@code index} among init containers followed by regular containers. */
    Container container(int index) {
      return index < initContainers.size() ? initContainers.get(index)
          : containers.get(index - initContainers.size());
    }

    /** Init plus regular containers. */
    int containerCount() {
      return initContainers.size() + containers.size();
    }

    /**
     * Why this pod is not being bound to {@code node} now, or null when it is: bound to
     * {@code node} (kubelet admits only pods bound to it), Pending, not being deleted, {@code hami.io/vgpu-node} is {@code node},
     * {@code hami.io/bind-time} is set and {@code hami.io/bind-phase} is allocating or success.
     */
    String notBeingBoundTo(String node) {
      if (nodeName == null || nodeName.isEmpty()) {
        return "it is not bound to a node yet";
      }
      if (!nodeName.equals(node)) {
        return "it is bound to node " + nodeName;
      }
      if (!"Pending".equals(phase)) {
        return "its phase is " + phase + ", not Pending";
      }
      if (deleting) {
        return "it is being deleted";
      }
      String chosen = annotations.get(Annotations.VGPU_NODE);
      if (!node.equals(chosen)) {
        return Annotations.VGPU_NODE + " is " + (chosen == null ? "absent" : chosen);
      }
      if (bindTime == null) {
        return Annotations.BIND_TIME + " is absent or not Unix seconds";
      }
      String phaseValue = annotations.get(Annotations.BIND_PHASE);
      if (!Annotations.PHASE_ALLOCATING.equals(phaseValue)
          && !Annotations.PHASE_SUCCESS.equals(phaseValue)) {
        return Annotations.BIND_PHASE + " is " + (phaseValue == null ? "absent" : phaseValue);
      }
      return null;
    }

    boolean beingBoundTo(String node) {
      return notBeingBoundTo(node) == null;
    }
  }

  /**
   * A container of the pod: its name, the literal environment its spec sets, and how many devices
   * of the plugin's resource it asks for (its limit, else its request; 0 when none).
   */
  record Container(String name, Map<String, String> env, int requestedDevices) {
    public Container {
      env = Map.copyOf(env);
    }
  }
}
