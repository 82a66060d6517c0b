package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.NodeLock;
import dev.hamij.api.NodeLockCodec;
import dev.hamij.api.PodDevices;
import dev.hamij.api.PodDevicesCodec;
import dev.hamij.api.UnixTimeCodec;
import dev.hamij.plugin.NodeApi.ApiException;
import dev.hamij.plugin.NodeApi.NodeMetadata;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@link PodBinding} through the Kubernetes API (fabric8). Finds the pod as HAMi does — the owner
 * of the node lock, else a pod being bound here — but never guesses: a lock owner that is not being
 * bound here is passed over, and among several pods being bound the one whose next containers ask
 * for kubelet's device counts is chosen only when it is the only one. The node lock is always read
 * from the API; its owner comes from the pod informer when its copy shows the owner being bound here
 * with containers left (and this process's own last write to it), else from a GET. Writes are JSON
 * merge patches with the resourceVersion read (optimistic concurrency), so a copy that missed another
 * client's write is never written back: after a 409 Conflict the pod is read again and checked again.
 * The node lock is released only when it names this pod or no pod (a legacy lock).
 */
final class KubePodBinding implements PodBinding {

  private static final System.Logger LOG = System.getLogger(KubePodBinding.class.getName());
  static final int ATTEMPTS = 5;
  private static final Duration LOCK_BACKOFF = Duration.ofMillis(100);

  private final NodeApi api;
  private final String resourceName;

  KubePodBinding(NodeApi api, String resourceName) {
    this.api = api;
    this.resourceName = resourceName;
  }

  @Override
  public BindingPod pendingPod(List<Integer> requestSizes) throws AllocationException {
    String node = api.nodeName();
    try {
      String passedOver = "";
      NodeMetadata current = api.node();
      Optional<NodeLock> lock = nodeLock(current);
      if (lock.isPresent() && lock.get().hasOwner()) {
        NodeLock l = lock.get();
        String lockVersion = current.resourceVersion();
        Optional<BindingPod> cached = api.cachedPod(l.namespace(), l.name()).map(p -> bindingPod(p, lockVersion))
            .filter(p -> p.beingBoundTo(node) && ContainerClaims.hasWorkLeft(p));
        if (cached.isPresent()) {
          return cached.get();
        }
        Optional<Pod> owner = api.pod(l.namespace(), l.name());
        if (owner.isEmpty()) {
          passedOver = "; the node lock names pod " + l.namespace() + "/" + l.name() + ", which no longer exists";
          LOG.log(Level.WARNING, "node " + node + ": the node lock names pod " + l.namespace() + "/" + l.name()
              + ", which no longer exists; releasing the lock");
          releaseLock(l.namespace(), l.name(), null);
        } else {
          BindingPod pod = bindingPod(owner.get(), lockVersion);
          String why = pod.notBeingBoundTo(node);
          if (why == null && ContainerClaims.hasWorkLeft(pod)) {
            return pod;
          }
          if (why == null) {
            why = "all its containers were served";
            releaseLock(pod.namespace(), pod.name(), pod.lockedNodeVersion());
          }
          passedOver = "; the node lock names pod " + pod.ref() + ", which is not being bound here: " + why;
          LOG.log(Level.WARNING, "node " + node + ": the node lock names pod " + pod.ref()
              + ", which is not being bound here (" + why + "); looking for the pod being bound");
        }
      }
      List<BindingPod> candidates = new ArrayList<>();
      for (Pod pod : api.scheduledPods()) {
        BindingPod candidate = bindingPod(pod, null);
        if (candidate.beingBoundTo(node) && ContainerClaims.hasWorkLeft(candidate)) {
          candidates.add(candidate);
        }
      }
      candidates.sort(Comparator.comparing(BindingPod::bindTime).thenComparing(BindingPod::ref));
      if (candidates.size() == 1) {
        return candidates.get(0);
      }
      if (candidates.isEmpty()) {
        throw new AllocationException("no pod is being bound to node " + node + passedOver);
      }
      List<BindingPod> fitting = candidates.stream()
          .filter(p -> ContainerClaims.nextEntrySizes(p, requestSizes.size()).equals(requestSizes)).toList();
      if (fitting.size() == 1) {
        return fitting.get(0);
      }
      throw new AllocationException(candidates.size() + " pods are being bound to node " + node + " ("
          + String.join(", ", candidates.stream().map(BindingPod::ref).toList()) + ") and " + fitting.size()
          + " of them ask for " + requestSizes + " devices next; refusing to guess which one kubelet is admitting"
          + passedOver);
    } catch (ApiException e) {
      throw new AllocationException("cannot find the pod being bound to node " + node + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void served(BindingPod pod, List<Integer> containerIndexes) throws AllocationException {
    List<List<ContainerDevice>> claimed = entries(pod).containers();
    BindingPod current = pod;
    try {
      for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        if (attempt > 1) {
          current = reread(pod);
        }
        List<List<ContainerDevice>> remaining = new ArrayList<>(entries(current).containers());
        for (int index : containerIndexes) {
          if (index >= remaining.size() || remaining.get(index).isEmpty()
              || !remaining.get(index).equals(claimed.get(index))) {
            throw new AllocationException("pod " + pod.ref() + ": entry " + index + " of "
                + Annotations.DEVICES_TO_ALLOCATE + " was served or changed by someone else meanwhile");
          }
          remaining.set(index, List.of());
        }
        PodDevices left = new PodDevices(remaining);
        Map<String, String> patch = new LinkedHashMap<>();
        patch.put(Annotations.DEVICES_TO_ALLOCATE, PodDevicesCodec.encode(left));
        if (left.isEmpty()) {
          patch.put(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
        }
        if (api.patchPodAnnotations(pod.namespace(), pod.name(), current.resourceVersion(), patch)) {
          if (left.isEmpty()) {
            releaseLock(pod.namespace(), pod.name(), pod.lockedNodeVersion());
          }
          return;
        }
        LOG.log(Level.INFO, "pod " + pod.ref() + " changed while its served containers were recorded"
            + " (409 Conflict, attempt " + attempt + " of " + ATTEMPTS + "); reading it again");
      }
    } catch (ApiException e) {
      throw new AllocationException("pod " + pod.ref() + ": cannot record the served containers: "
          + e.getMessage(), e);
    }
    throw new AllocationException("pod " + pod.ref() + ": cannot record the served containers: the pod changed"
        + " under each of " + ATTEMPTS + " attempts (409 Conflict)");
  }

  @Override
  public void failed(BindingPod pod, String reason) {
    LOG.log(Level.WARNING, "pod " + pod.ref() + ": " + Annotations.BIND_PHASE + "=failed: " + reason);
    try {
      api.patchPodAnnotations(pod.namespace(), pod.name(), null,
          Map.of(Annotations.BIND_PHASE, Annotations.PHASE_FAILED));
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "pod " + pod.ref() + ": cannot set " + Annotations.BIND_PHASE + "=failed: "
          + e.getMessage());
    }
    releaseLock(pod.namespace(), pod.name(), pod.lockedNodeVersion());
  }

  /**
   * Deletes the node lock when it names pod {@code namespace/name} or no pod, re-checking the owner
   * before each attempt and deleting with the node's resourceVersion. Never throws.
   *
   * @param seenVersion the Node's resourceVersion when its lock was seen naming this pod, or null:
   *     the first attempt deletes at that version without reading the Node again
   */
  void releaseLock(String namespace, String name, String seenVersion) {
    String node = api.nodeName();
    long backoff = LOCK_BACKOFF.toMillis();
    try {
      if (seenVersion != null && api.patchNodeAnnotations(seenVersion, lockDeletion())) {
        return;
      }
      for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        NodeMetadata current = api.node();
        String value = current.annotations().get(Annotations.NODE_LOCK);
        if (value == null) {
          return;
        }
        NodeLock lock;
        try {
          lock = NodeLockCodec.decode(value, node);
        } catch (HamiFormatException e) {
          LOG.log(Level.WARNING, "node " + node + ": leaving a malformed node lock alone: " + e.getMessage());
          return;
        }
        if (lock.hasOwner() && !lock.ownedBy(namespace, name)) {
          return;
        }
        if (api.patchNodeAnnotations(current.resourceVersion(), lockDeletion())) {
          LOG.log(Level.DEBUG, "node " + node + ": released the node lock of pod " + namespace + "/" + name);
          return;
        }
        Thread.sleep(backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
        backoff *= 2;
      }
      LOG.log(Level.WARNING, "node " + node + ": the node lock of pod " + namespace + "/" + name
          + " could not be released: the node changed under each of " + ATTEMPTS + " attempts");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "node " + node + ": cannot release the node lock of pod " + namespace + "/" + name
          + ": " + e.getMessage());
    }
  }

  private static Map<String, String> lockDeletion() {
    Map<String, String> delete = new HashMap<>();
    delete.put(Annotations.NODE_LOCK, null);
    return delete;
  }

  private BindingPod reread(BindingPod pod) throws AllocationException {
    Pod fresh = api.pod(pod.namespace(), pod.name()).orElseThrow(() -> new AllocationException("pod "
        + pod.ref() + " was deleted while its devices were allocated"));
    BindingPod current = bindingPod(fresh, pod.lockedNodeVersion());
    if (!current.uid().equals(pod.uid())) {
      throw new AllocationException("pod " + pod.ref() + " was replaced (uid " + pod.uid() + " is now "
          + current.uid() + ") while its devices were allocated");
    }
    return current;
  }

  private static PodDevices entries(BindingPod pod) throws AllocationException {
    try {
      return PodDevicesCodec.decode(pod.annotations().get(Annotations.DEVICES_TO_ALLOCATE), pod.ref(),
          Annotations.DEVICES_TO_ALLOCATE);
    } catch (HamiFormatException e) {
      throw new AllocationException(e.getMessage(), e);
    }
  }

  private Optional<NodeLock> nodeLock(NodeMetadata node) {
    String value = node.annotations().get(Annotations.NODE_LOCK);
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(NodeLockCodec.decode(value, api.nodeName()));
    } catch (HamiFormatException e) {
      LOG.log(Level.WARNING, e.getMessage() + "; looking for the pod being bound instead");
      return Optional.empty();
    }
  }

  /** The pod as Allocate needs it. */
  BindingPod bindingPod(Pod pod, String lockedNodeVersion) {
    var meta = pod.getMetadata();
    Map<String, String> annotations = annotations(meta.getAnnotations());
    String ref = meta.getNamespace() + "/" + meta.getName();
    Instant bindTime = null;
    String bindTimeValue = annotations.get(Annotations.BIND_TIME);
    if (bindTimeValue != null) {
      try {
        bindTime = UnixTimeCodec.decode(bindTimeValue, Annotations.BIND_TIME, ref);
      } catch (HamiFormatException e) {
        LOG.log(Level.WARNING, e.getMessage());
      }
    }
    var spec = pod.getSpec();
    return new BindingPod(meta.getNamespace(), meta.getName(), meta.getUid(), meta.getResourceVersion(),
        spec == null ? null : spec.getNodeName(), pod.getStatus() == null ? null : pod.getStatus().getPhase(),
        meta.getDeletionTimestamp() != null, bindTime, annotations,
        spec == null ? List.of() : containers(spec.getInitContainers()),
        spec == null ? List.of() : containers(spec.getContainers()), lockedNodeVersion);
  }

  private List<Container> containers(List<io.fabric8.kubernetes.api.model.Container> specs) {
    List<Container> out = new ArrayList<>();
    if (specs == null) {
      return out;
    }
    for (var c : specs) {
      Map<String, String> env = new HashMap<>();
      if (c.getEnv() != null) {
        for (EnvVar var : c.getEnv()) {
          if (var.getName() != null && var.getValue() != null) {
            env.put(var.getName(), var.getValue());
          }
        }
      }
      out.add(new Container(c.getName(), env, requested(c.getResources())));
    }
    return out;
  }

  /** The container's limit of the plugin's resource, else its request; 0 when none or not a whole number. */
  private int requested(ResourceRequirements resources) {
    if (resources == null) {
      return 0;
    }
    Quantity quantity = resources.getLimits() == null ? null : resources.getLimits().get(resourceName);
    if (quantity == null && resources.getRequests() != null) {
      quantity = resources.getRequests().get(resourceName);
    }
    if (quantity == null) {
      return 0;
    }
    try {
      return quantity.getNumericalAmount().intValueExact();
    } catch (ArithmeticException | IllegalArgumentException e) {
      return 0;
    }
  }

  /** Annotations without the null values a merge-patched object may carry. */
  private static Map<String, String> annotations(Map<String, String> raw) {
    Map<String, String> out = new HashMap<>();
    if (raw != null) {
      raw.forEach((k, v) -> {
        if (k != null && v != null) {
          out.put(k, v);
        }
      });
    }
    return out;
  }
}
