package dev.hamij.extender;

import dev.hamij.core.AdmissionPolicy;
import dev.hamij.core.PodSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Translation of fabric8 pods into the core's views (no decisions here). */
final class PodViews {
  private PodViews() {}

  /** The scheduling view: identity, annotations and container quantities as strings. */
  static PodSpec spec(Pod pod) {
    var meta = pod.getMetadata();
    var spec = pod.getSpec();
    List<Container> init = spec == null || spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
    List<Container> main = spec == null || spec.getContainers() == null ? List.of() : spec.getContainers();
    return new PodSpec(meta.getNamespace(), meta.getName(), meta.getUid(), meta.getAnnotations(),
        init.stream().map(PodViews::container).toList(), main.stream().map(PodViews::container).toList());
  }

  private static PodSpec.ContainerSpec container(Container c) {
    ResourceRequirements r = c.getResources();
    return new PodSpec.ContainerSpec(c.getName(), quantities(r == null ? null : r.getLimits()),
        quantities(r == null ? null : r.getRequests()));
  }

  static Map<String, String> quantities(Map<String, Quantity> q) {
    Map<String, String> out = new LinkedHashMap<>();
    if (q != null) {
      q.forEach((k, v) -> {
        if (v != null) {
          out.put(k, v.toString());
        }
      });
    }
    return out;
  }

  /** The admission view of a pod being created. */
  static AdmissionPolicy.Pod admission(Pod pod) {
    var spec = pod.getSpec();
    List<Container> init = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
    List<Container> main = spec.getContainers() == null ? List.of() : spec.getContainers();
    return new AdmissionPolicy.Pod(spec.getSchedulerName(), spec.getNodeName(), spec.getRuntimeClassName(),
        init.stream().map(PodViews::admissionContainer).toList(),
        main.stream().map(PodViews::admissionContainer).toList());
  }

  private static AdmissionPolicy.Container admissionContainer(Container c) {
    ResourceRequirements r = c.getResources();
    Set<String> env = new HashSet<>();
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        env.add(e.getName());
      }
    }
    boolean privileged = c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getPrivileged());
    return new AdmissionPolicy.Container(c.getName(), quantities(r == null ? null : r.getLimits()),
        quantities(r == null ? null : r.getRequests()), env, privileged);
  }

  /** {@code namespace/name}. */
  static String ref(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  static Map<String, String> annotations(Pod pod) {
    Map<String, String> a = pod.getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }
}
