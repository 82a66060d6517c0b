package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Kubernetes calls of one node's device plugin: its Node, the pods HAMi's scheduler placed on
 * it, and JSON merge patches of their annotations. A patch that carries a resourceVersion succeeds
 * only while the object still has it (optimistic concurrency) and reports a 409 Conflict as
 * {@code false}; a patch is one request (no read before it). Any other API failure is an
 * {@link ApiException} naming the call and the object. With the node's pod informer, pods this
 * process patched are recorded there so that {@link #cachedPod} never returns a copy older than
 * the process's own writes.
 */
final class NodeApi {

  /** An API call that failed for another reason than a conflict. */
  static final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ApiException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * fabric8 logs every request header at TRACE, the bearer token included: that logger never goes
   * below INFO, whatever the logging configuration says (the strong reference keeps the level).
   */
  static final java.util.logging.Logger HTTP_TRACE =
      java.util.logging.Logger.getLogger("io.fabric8.kubernetes.client.http.HttpLoggingInterceptor");

  static {
    HTTP_TRACE.setLevel(java.util.logging.Level.INFO);
  }

  private final KubernetesClient client;
  private final String nodeName;
  private final Optional<KubeNodePods> pods;

  /** Without a pod informer: {@link #cachedPod} is always empty. */
  NodeApi(KubernetesClient client, String nodeName) {
    this(client, nodeName, Optional.empty());
  }

  NodeApi(KubernetesClient client, String nodeName, Optional<KubeNodePods> pods) {
    this.client = client;
    this.nodeName = nodeName;
    this.pods = pods;
  }

  String nodeName() {
    return nodeName;
  }

  /** This node. */
  Node node() {
    Node node;
    try {
      node = client.nodes().withName(nodeName).get();
    } catch (KubernetesClientException e) {
      throw failure("get node " + nodeName, e);
    }
    if (node == null) {
      throw new ApiException("get node " + nodeName + ": the node does not exist", null);
    }
    return node;
  }

  /** The pod {@code namespace/name}, empty when it does not exist. */
  Optional<Pod> pod(String namespace, String name) {
    try {
      return Optional.ofNullable(client.pods().inNamespace(namespace).withName(name).get());
    } catch (KubernetesClientException e) {
      throw failure("get pod " + namespace + "/" + name, e);
    }
  }

  /**
   * The pod informer's copy of pod {@code namespace/name} when it has one that shows this process's
   * last write to the pod; it may miss another client's recent write, so write back only with its
   * resourceVersion. Empty without an informer or such a copy: read the pod with {@link #pod}.
   */
  Optional<Pod> cachedPod(String namespace, String name) {
    return pods.flatMap(p -> p.cached(namespace, name));
  }

  /**
   * Every pod HAMi's scheduler placed on this node: those labelled {@code hami.io/vgpu-node=<node>}
   * (the label the scheduler writes with the annotation), in any namespace, bound to this node or not
   * bound yet. The label keeps the list small on a busy node; callers check the binding themselves.
   */
  List<Pod> scheduledPods() {
    try {
      return client.pods().inAnyNamespace().withLabel(Annotations.VGPU_NODE, nodeName).list().getItems().stream()
          .filter(p -> p.getSpec() == null || p.getSpec().getNodeName() == null
              || p.getSpec().getNodeName().isEmpty() || nodeName.equals(p.getSpec().getNodeName()))
          .toList();
    } catch (KubernetesClientException e) {
      throw failure("list pods labelled " + Annotations.VGPU_NODE + "=" + nodeName, e);
    }
  }

  /**
   * Merges {@code annotations} into this node's (a null value deletes the key), only while the node
   * has {@code resourceVersion} when one is given.
   *
   * @return false when the node changed meanwhile (409 Conflict)
   */
  boolean patchNodeAnnotations(String resourceVersion, Map<String, String> annotations) {
    try {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName(nodeName).endMetadata().build())
          .patch(PatchContext.of(PatchType.JSON_MERGE), annotationPatch(resourceVersion, annotations));
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw failure("patch node " + nodeName, e);
    }
  }

  /**
   * Merges {@code annotations} into the pod's (a null value deletes the key), only while the pod has
   * {@code resourceVersion} when one is given.
   *
   * @return false when the pod changed meanwhile (409 Conflict)
   */
  boolean patchPodAnnotations(String namespace, String name, String resourceVersion,
      Map<String, String> annotations) {
    try {
      Pod patched = client.pods().resource(new PodBuilder().withNewMetadata().withNamespace(namespace).withName(name)
          .endMetadata().build()).patch(PatchContext.of(PatchType.JSON_MERGE), annotationPatch(resourceVersion, annotations));
      pods.ifPresent(p -> p.wrote(patched));
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw failure("patch pod " + namespace + "/" + name, e);
    }
  }

  private static String annotationPatch(String resourceVersion, Map<String, String> annotations) {
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    ObjectNode metadata = patch.putObject("metadata");
    if (resourceVersion != null) {
      metadata.put("resourceVersion", resourceVersion);
    }
    ObjectNode values = metadata.putObject("annotations");
    annotations.forEach((key, value) -> {
      if (value == null) {
        values.putNull(key);
      } else {
        values.put(key, value);
      }
    });
    return patch.toString();
  }

  private static ApiException failure(String call, KubernetesClientException e) {
    String reason = e.getStatus() != null && e.getStatus().getMessage() != null
        ? e.getStatus().getMessage() : e.getMessage();
    return new ApiException(call + " failed: " + reason, e);
  }
}
