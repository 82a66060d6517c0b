package dev.hamij.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the scheduler needs of a pod: identity, annotations and the resource quantities of its init
 * and regular containers. No Kubernetes types: quantities are Kubernetes quantity strings
 * ({@code "2"}, {@code "8000"}, {@code "16Gi"}). Immutable.
 *
 * @param namespace pod namespace
 * @param name pod name
 * @param uid pod UID (may be empty at admission, before the API server assigned one)
 * @param annotations pod annotations
 * @param initContainers init containers in spec order
 * @param containers regular containers in spec order
 */
public record PodSpec(String namespace, String name, String uid, Map<String, String> annotations,
    List<ContainerSpec> initContainers, List<ContainerSpec> containers) {

  public PodSpec {
    namespace = namespace == null ? "" : namespace;
    name = name == null ? "" : name;
    uid = uid == null ? "" : uid;
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    initContainers = initContainers == null ? List.of() : List.copyOf(initContainers);
    containers = containers == null ? List.of() : List.copyOf(containers);
  }

  /** A pod without init containers. */
  public static PodSpec of(String namespace, String name, String uid, Map<String, String> annotations,
      ContainerSpec... containers) {
    return new PodSpec(namespace, name, uid, annotations, List.of(), List.of(containers));
  }

  /** {@code namespace/name}, as used in messages. */
  public String ref() {
    return namespace + "/" + name;
  }

  /**
   * One container's resources.
   *
   * @param name container name
   * @param limits resource limits (name → quantity string)
   * @param requests resource requests (name → quantity string); consulted when a limit is absent
   */
  public record ContainerSpec(String name, Map<String, String> limits, Map<String, String> requests) {
    public ContainerSpec {
      name = name == null ? "" : name;
      limits = limits == null ? Map.of() : Map.copyOf(limits);
      requests = requests == null ? Map.of() : Map.copyOf(requests);
    }

    /** A container with limits only. */
    public static ContainerSpec limits(String name, Map<String, String> limits) {
      return new ContainerSpec(name, limits, Map.of());
    }

    /** The limit of {@code resource}, else its request, else null (HAMi's lookup order). */
    String lookup(String resource) {
      String v = limits.get(Objects.requireNonNull(resource));
      return v != null ? v : requests.get(resource);
    }
  }
}
