package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import dev.hamij.mig.MigCluster;
import dev.hamij.mig.PodRef;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link MigCluster} through the Kubernetes API. The node's pods are those HAMi's scheduler placed on
 * it ({@link NodeApi#scheduledPods}: labelled {@code hami.io/vgpu-node=<node>}, the only pods that
 * can hold MIG reservations), read in one list call, so the list is complete or the call fails. The
 * identity write is a merge patch of the annotation carrying the resourceVersion read.
 */
final class KubeMigCluster implements MigCluster {

  private final NodeApi api;

  KubeMigCluster(NodeApi api) {
    this.api = api;
  }

  @Override
  public List<NodePod> activePods() {
    List<NodePod> out = new ArrayList<>();
    for (Pod pod : api.scheduledPods()) {
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
        continue;
      }
      Map<String, String> annotations = pod.getMetadata().getAnnotations();
      out.add(new NodePod(ref(pod), annotations == null ? null : annotations.get(Annotations.MIG_ALLOCATIONS)));
    }
    return out;
  }

  @Override
  public Optional<VersionedAllocations> readAllocations(PodRef pod) {
    return api.pod(pod.namespace(), pod.name())
        .filter(p -> pod.uid().equals(p.getMetadata().getUid()))
        .map(p -> {
          Map<String, String> annotations = p.getMetadata().getAnnotations();
          return new VersionedAllocations(annotations == null ? null : annotations.get(Annotations.MIG_ALLOCATIONS),
              p.getMetadata().getResourceVersion());
        });
  }

  @Override
  public boolean replaceAllocations(PodRef pod, String resourceVersion, String allocations) {
    return api.patchPodAnnotations(pod.namespace(), pod.name(), resourceVersion,
        Map.of(Annotations.MIG_ALLOCATIONS, allocations));
  }

  private static PodRef ref(Pod pod) {
    return new PodRef(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), pod.getMetadata().getUid());
  }
}
