package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.PodDevices;
import dev.hamij.api.PodDevicesCodec;
import dev.hamij.core.AdmissionPolicy;
import dev.hamij.core.PodAllocation;
import dev.hamij.core.PodSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ContainerStatus;
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
    return new PodSpec(meta.getNamespace(), meta.getName(), meta.getUid(), annotations(pod),
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
        if (e != null && e.getName() != null) {
          env.add(e.getName());
        }
      }
    }
    boolean privileged = c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getPrivileged());
    return new AdmissionPolicy.Container(c.getName(), quantities(r == null ? null : r.getLimits()),
        quantities(r == null ? null : r.getRequests()), env, privileged);
  }

  /**
   * The allocation recorded in the pod's annotations ({@code hami.io/vgpu-node},
   * {@code hami.io/vgpu-devices-allocated}, {@code hami.io/vgpu-mig-allocations}), or null when the pod
   * carries none.
   *
   * @throws HamiFormatException when an annotation does not decode
   */
  static PodAllocation allocation(Pod pod) {
    Map<String, String> a = annotations(pod);
    String node = a.get(Annotations.VGPU_NODE);
    String devices = a.get(Annotations.DEVICES_ALLOCATED);
    if (node == null || node.isEmpty() || devices == null) {
      return null;
    }
    String ref = ref(pod);
    PodDevices decoded = PodDevicesCodec.decode(devices, ref);
    List<MigAllocation> mig = MigAllocationsCodec.decode(a.get(Annotations.MIG_ALLOCATIONS), ref);
    var spec = pod.getSpec();
    int init = spec == null || spec.getInitContainers() == null ? 0 : spec.getInitContainers().size();
    return new PodAllocation(pod.getMetadata().getUid(), pod.getMetadata().getNamespace(),
        pod.getMetadata().getName(), node, decoded, mig, init, initReleased(pod, init));
  }

  /** True when the pod has init containers and every one of them terminated with exit code 0. */
  static boolean initReleased(Pod pod, int initCount) {
    if (initCount == 0 || pod.getStatus() == null || pod.getStatus().getInitContainerStatuses() == null) {
      return false;
    }
    List<ContainerStatus> statuses = pod.getStatus().getInitContainerStatuses();
    if (statuses.size() != initCount) {
      return false;
    }
    for (ContainerStatus s : statuses) {
      var terminated = s.getState() == null ? null : s.getState().getTerminated();
      if (terminated == null || terminated.getExitCode() == null || terminated.getExitCode() != 0) {
        return false;
      }
    }
    return true;
  }

  /** True for a pod in phase Succeeded or Failed: it holds no GPU any more. */
  static boolean terminated(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  /** {@code namespace/name}. */
  static String ref(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  /** An object's annotations without null keys or values (a snapshot file, or a merge patch stored verbatim, can carry them). */
  static Map<String, String> annotations(HasMetadata object) {
    Map<String, String> a = object.getMetadata().getAnnotations();
    if (a == null) {
      return Map.of();
    }
    for (Map.Entry<String, String> e : a.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        Map<String, String> clean = new LinkedHashMap<>();
        a.forEach((k, v) -> {
          if (k != null && v != null) {
            clean.put(k, v);
          }
        });
        return clean;
      }
    }
    return a;
  }
}
