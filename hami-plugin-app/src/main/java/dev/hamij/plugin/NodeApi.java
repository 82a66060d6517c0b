package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.net.HttpURLConnection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
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

  /** fabric8's default request timeout, for a configuration that sets none. */
  private static final long DEFAULT_REQUEST_TIMEOUT_MILLIS = 10_000;
  private static final JsonMapper JSON = JsonMapper.shared();

  private final KubernetesClient client;
  private final String nodeName;
  private final Optional<KubeNodePods> pods;
  private final String apiRoot;
  private final long requestTimeoutMillis;

  /** Without a pod informer: {@link #cachedPod} is always empty. */
  NodeApi(KubernetesClient client, String nodeName) {
    this(client, nodeName, Optional.empty());
  }

  NodeApi(KubernetesClient client, String nodeName, Optional<KubeNodePods> pods) {
    this.client = client;
    this.nodeName = nodeName;
    this.pods = pods;
    this.apiRoot = client.getMasterUrl().toString().replaceAll("/+$", "");
    Integer timeout = client.getConfiguration().getRequestTimeout();
    this.requestTimeoutMillis = timeout == null || timeout <= 0 ? DEFAULT_REQUEST_TIMEOUT_MILLIS : timeout;
  }

  String nodeName() {
    return nodeName;
  }

  /** A Node's resourceVersion and annotations (keys with a null value left out). */
  record NodeMetadata(String resourceVersion, Map<String, String> annotations) {
    NodeMetadata {
      annotations = Map.copyOf(annotations);
    }
  }

  /**
   * This node's metadata; asks for the metadata alone (PartialObjectMetadata), so the Node's status
   * (its image list can be tens of kilobytes) is neither sent nor decoded by a server that supports it.
   */
  NodeMetadata node() {
    String call = "get node " + nodeName;
    HttpRequest request = client.getHttpClient().newHttpRequestBuilder().uri(apiRoot + "/api/v1/nodes/" + nodeName)
        .timeout(requestTimeoutMillis, TimeUnit.MILLISECONDS)
        .header("Accept", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json")
        .build();
    HttpResponse<String> response = send(request, call);
    if (response.code() == HttpURLConnection.HTTP_NOT_FOUND) {
      throw new ApiException(call + ": the node does not exist", null);
    }
    if (!response.isSuccessful()) {
      throw new ApiException(call + " failed: " + statusMessage(response), null);
    }
    JsonNode metadata;
    try {
      metadata = JSON.readTree(response.body()).path("metadata");
    } catch (JacksonException e) {
      throw new ApiException(call + ": the answer is not JSON: " + e.getOriginalMessage(), e);
    }
    Map<String, String> annotations = new HashMap<>();
    metadata.path("annotations").properties().forEach(e -> {
      if (e.getValue().isString()) {
        annotations.put(e.getKey(), e.getValue().asString());
      }
    });
    return new NodeMetadata(metadata.path("resourceVersion").asString(), annotations);
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
    return mergePatch("/api/v1/nodes/" + nodeName, "patch node " + nodeName, resourceVersion, annotations) != null;
  }

  /**
   * Merges {@code annotations} into the pod's (a null value deletes the key), only while the pod has
   * {@code resourceVersion} when one is given.
   *
   * @return false when the pod changed meanwhile (409 Conflict)
   */
  boolean patchPodAnnotations(String namespace, String name, String resourceVersion,
      Map<String, String> annotations) {
    String patched = mergePatch("/api/v1/namespaces/" + namespace + "/pods/" + name,
        "patch pod " + namespace + "/" + name, resourceVersion, annotations);
    if (patched == null) {
      return false;
    }
    pods.ifPresent(p -> p.wrote(namespace, name,
        JSON.readTree(patched).path("metadata").path("resourceVersion").asString()));
    return true;
  }

  /**
   * One JSON merge patch request through the client's HTTP client (its authentication, TLS and retries),
   * without the typed DSL's copy of the object and decoding of the answer.
   *
   * @return the patched object's JSON, null after a 409 Conflict
   */
  private String mergePatch(String path, String call, String resourceVersion, Map<String, String> annotations) {
    HttpRequest request = client.getHttpClient().newHttpRequestBuilder().uri(apiRoot + path)
        .timeout(requestTimeoutMillis, TimeUnit.MILLISECONDS)
        .method("PATCH", "application/merge-patch+json", annotationPatch(resourceVersion, annotations)).build();
    HttpResponse<String> response = send(request, call);
    if (response.code() == HttpURLConnection.HTTP_CONFLICT) {
      return null;
    }
    if (!response.isSuccessful()) {
      throw new ApiException(call + " failed: " + statusMessage(response), null);
    }
    return response.body();
  }

  private HttpResponse<String> send(HttpRequest request, String call) {
    try {
      return client.getHttpClient().sendAsync(request, String.class).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(call + " interrupted", e);
    } catch (ExecutionException e) {
      throw new ApiException(call + " failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** The message of the Status an API server answers a failed request with, else the HTTP status. */
  private static String statusMessage(HttpResponse<String> response) {
    String fallback = "HTTP " + response.code();
    try {
      String message = JSON.readTree(response.body()).path("message").asString();
      return message.isEmpty() ? fallback : message + " (" + fallback + ")";
    } catch (JacksonException | IllegalArgumentException e) {
      return fallback;
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
