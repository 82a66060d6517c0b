package dev.hamij.plugin;

import dev.hamij.api.Annotations;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * {@link NodePods} from a pod informer (node.md §6.1 with §9 #14): only pods labelled
 * {@code hami.io/vgpu-node=<node>}, the label HAMi's scheduler sets on the pods it places, and of
 * those only the ones bound to this node. {@link #start} does not wait for the API server: until the
 * informer's first list arrives no pod is known (and no container exported).
 */
final class KubeNodePods implements NodePods, AutoCloseable {

  private final String nodeName;
  private final Map<String, io.fabric8.kubernetes.api.model.Pod> byUid = new ConcurrentHashMap<>();
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Pod> informer;

  private KubeNodePods(String nodeName) {
    this.nodeName = nodeName;
  }

  /** Starts the informer; {@code resync} re-delivers every pod periodically. */
  static KubeNodePods start(KubernetesClient client, String nodeName, Duration resync) {
    KubeNodePods pods = new KubeNodePods(nodeName);
    pods.informer = client.pods().inAnyNamespace().withLabel(Annotations.VGPU_NODE, nodeName)
        .runnableInformer(resync.toMillis());
    pods.informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(io.fabric8.kubernetes.api.model.Pod pod) {
        pods.put(pod);
      }

      @Override
      public void onUpdate(io.fabric8.kubernetes.api.model.Pod before,
          io.fabric8.kubernetes.api.model.Pod after) {
        pods.put(after);
      }

      @Override
      public void onDelete(io.fabric8.kubernetes.api.model.Pod pod, boolean finalStateUnknown) {
        pods.byUid.remove(pod.getMetadata().getUid());
      }
    });
    pods.informer.start();
    return pods;
  }

  private void put(io.fabric8.kubernetes.api.model.Pod pod) {
    byUid.put(pod.getMetadata().getUid(), pod);
  }

  @Override
  public Optional<Pod> byUid(String uid) {
    io.fabric8.kubernetes.api.model.Pod pod = byUid.get(uid);
    if (pod == null || pod.getSpec() == null || !nodeName.equals(pod.getSpec().getNodeName())) {
      return Optional.empty();
    }
    return Optional.of(new Pod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
        pod.getSpec().getContainers().stream().map(c -> c.getName()).collect(Collectors.toSet())));
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.close();
    }
  }
}
