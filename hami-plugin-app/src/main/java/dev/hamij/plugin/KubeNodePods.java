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
 * The pods HAMi's scheduler placed on this node, from one pod informer (node.md §6.1 with §9 #14):
 * only pods labelled {@code hami.io/vgpu-node=<node>}, the label the scheduler sets on the pods it
 * places. It serves the node monitor ({@link NodePods}: only pods bound to this node) and Allocate
 * ({@link #cached}: a pod without a GET, but only a copy that already shows every write this process
 * made to it). {@link #start} does not wait for the API server: until the informer's first list
 * arrives no pod is known (no container exported, every Allocate reads its pod from the API).
 */
final class KubeNodePods implements NodePods, AutoCloseable {

  private final String nodeName;
  private final Map<String, io.fabric8.kubernetes.api.model.Pod> byUid = new ConcurrentHashMap<>();
  /** {@code namespace/name} → resourceVersion of this process's last write the informer has not delivered yet. */
  private final Map<String, String> unseenWrites = new ConcurrentHashMap<>();
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
        pods.unseenWrites.remove(key(pod.getMetadata().getNamespace(), pod.getMetadata().getName()));
      }
    });
    pods.informer.start();
    return pods;
  }

  private void put(io.fabric8.kubernetes.api.model.Pod pod) {
    byUid.put(pod.getMetadata().getUid(), pod);
    String version = pod.getMetadata().getResourceVersion();
    unseenWrites.computeIfPresent(key(pod.getMetadata().getNamespace(), pod.getMetadata().getName()),
        (key, written) -> written.equals(version) ? null : written);
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

  /**
   * The informer's copy of pod {@code namespace/name}, empty when it has none or when its copy is
   * older than this process's last write to the pod ({@link #wrote}). The copy may still miss
   * another client's recent write: callers write back only with its resourceVersion.
   */
  Optional<io.fabric8.kubernetes.api.model.Pod> cached(String namespace, String name) {
    io.fabric8.kubernetes.api.model.Pod pod = informer.getStore().getByKey(key(namespace, name));
    if (pod == null) {
      return Optional.empty();
    }
    String written = unseenWrites.get(key(namespace, name));
    return written == null || written.equals(pod.getMetadata().getResourceVersion())
        ? Optional.of(pod) : Optional.empty();
  }

  /** Records this process's write that left pod {@code namespace/name} at resourceVersion {@code version}. */
  void wrote(String namespace, String name, String version) {
    String key = key(namespace, name);
    unseenWrites.put(key, version);
    io.fabric8.kubernetes.api.model.Pod seen = informer.getStore().getByKey(key);
    if (seen != null && version.equals(seen.getMetadata().getResourceVersion())) {
      unseenWrites.remove(key, version);
    }
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.close();
    }
  }
}
