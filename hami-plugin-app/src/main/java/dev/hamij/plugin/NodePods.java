package dev.hamij.plugin;

import java.util.Optional;
import java.util.Set;

/**
 * The pods Kubernetes placed on this node, as the node monitor needs them to name containers in
 * metrics. The Kubernetes implementation (an informer restricted to {@code spec.nodeName}) is part
 * of the fabric8 wiring.
 */
interface NodePods {

  /** The pod with this UID if it runs on this node. */
  Optional<Pod> byUid(String uid);

  /** A pod's identity and the names of its regular (not init) containers. */
  record Pod(String namespace, String name, Set<String> containers) {
    public Pod {
      containers = Set.copyOf(containers);
    }
  }
}
