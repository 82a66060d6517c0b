package dev.hamij.extender;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.util.List;
import java.util.Map;

/**
 * The few Kubernetes operations the extender performs, so the same scheduling code runs against a
 * real API server ({@link KubeCluster}) and against the embedded in-memory cluster of
 * {@code serve --snapshot} ({@link MemoryCluster}). Reads of {@link #node}/{@link #pod} go to the
 * authoritative store (not a cache) because the node lock relies on their resourceVersion.
 */
interface Cluster extends AutoCloseable {

  /** Informer-style callbacks; the cluster calls them from one thread, in order per object. */
  interface Listener {
    void nodeChanged(Node node);

    void nodeDeleted(Node node);

    void podChanged(Pod pod);

    void podDeleted(Pod pod);

    void quotaChanged(ResourceQuota quota);

    void quotaDeleted(ResourceQuota quota);
  }

  /** An API call failed; the message is what kube-scheduler and events show. */
  class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ApiException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A write lost an optimistic-concurrency race (HTTP 409). */
  final class Conflict extends ApiException {
    private static final long serialVersionUID = 1L;

    Conflict(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Starts delivering events to {@code listener}: first every existing object, then changes. Returns
   * once the initial objects have been delivered.
   */
  void start(Listener listener);

  /** The cached objects as last seen by the informers. */
  List<Node> cachedNodes();

  List<Pod> cachedPods();

  List<ResourceQuota> cachedQuotas();

  /** The cached pod with that UID, or null. */
  Pod cachedPod(String uid);

  /** Fresh read; null when the node does not exist. */
  Node node(String name);

  /** Fresh read; null when the pod does not exist. */
  Pod pod(String namespace, String name);

  /**
   * JSON merge patch of node annotations; a null value removes the key. With a non-null
   * {@code resourceVersion} the write only succeeds if the node is still at that version.
   *
   * @throws Conflict when the node changed since {@code resourceVersion}
   */
  Node patchNodeAnnotations(String name, Map<String, String> annotations, String resourceVersion);

  /** JSON merge patch of pod annotations and labels; null values remove keys. */
  Pod patchPodMetadata(String namespace, String name, Map<String, String> annotations, Map<String, String> labels);

  /** Creates the pod's {@code Binding} to {@code node}. */
  void bind(String namespace, String name, String uid, String node);

  /** Records a Kubernetes Event on the pod; never fails the caller. */
  void recordEvent(Pod pod, String type, String reason, String message);

  @Override
  void close();
}
