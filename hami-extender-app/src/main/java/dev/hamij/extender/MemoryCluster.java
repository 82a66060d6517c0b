package dev.hamij.extender;

import dev.hamij.api.Annotations;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An embedded in-memory cluster for {@code serve --snapshot}: the objects of a snapshot, resource
 * versions with optimistic concurrency, events to listeners on one background thread (like an
 * informer). It also plays kubelet and device plugin for bound pods: a Binding makes the pod Running
 * on the node with {@code bind-phase=success}, its {@code devices-to-allocate} consumed and its node
 * lock released, so the next bind on that node proceeds as it would in a live cluster.
 *
 * <p>Objects handed out are shared snapshots and must not be modified.
 */
final class MemoryCluster implements Cluster {
  private static final Logger LOG = Logger.getLogger(MemoryCluster.class.getName());

  private final Object writeLock = new Object();
  private final AtomicLong version = new AtomicLong(1000);
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final Map<String, Pod> pods = new ConcurrentHashMap<>();
  private final Map<String, Pod> podsByUid = new ConcurrentHashMap<>();
  private final Map<String, ResourceQuota> quotas = new ConcurrentHashMap<>();
  private final ArrayDeque<Recorded> events = new ArrayDeque<>();
  private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "hami-memory-cluster");
    t.setDaemon(true);
    return t;
  });
  private volatile Listener listener;

  /** A recorded event. */
  record Recorded(String namespace, String pod, String type, String reason, String message) {}

  MemoryCluster(Snapshot snapshot) {
    snapshot.nodes().forEach(n -> nodes.put(n.getMetadata().getName(), versioned(n)));
    for (Pod p : snapshot.pods()) {
      Pod v = versioned(p);
      if (v.getMetadata().getUid() == null || v.getMetadata().getUid().isEmpty()) {
        v = new PodBuilder(v).editMetadata().withUid(UUID.randomUUID().toString()).endMetadata().build();
      }
      pods.put(key(v.getMetadata()), v);
      podsByUid.put(v.getMetadata().getUid(), v);
    }
    snapshot.quotas().forEach(q -> quotas.put(key(q.getMetadata()), versioned(q)));
  }

  private static String key(ObjectMeta m) {
    return (m.getNamespace() == null ? "" : m.getNamespace()) + "/" + m.getName();
  }

  private <T extends HasMetadata> T versioned(T obj) {
    obj.getMetadata().setResourceVersion(Long.toString(version.incrementAndGet()));
    return obj;
  }

  @Override
  public void start(Listener l) {
    this.listener = l;
    nodes.values().forEach(l::nodeChanged);
    quotas.values().forEach(l::quotaChanged);
    pods.values().forEach(l::podChanged);
  }

  private void emit(Consumer<Listener> event) {
    Listener l = listener;
    if (l != null) {
      dispatcher.execute(() -> {
        try {
          event.accept(l);
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "event handler failed", e);
        }
      });
    }
  }

  /** Adds or replaces a pod, as a user's {@code kubectl apply} would. */
  Pod applyPod(Pod pod) {
    synchronized (writeLock) {
      Pod v = versioned(new PodBuilder(pod).build());
      if (v.getMetadata().getUid() == null) {
        v.getMetadata().setUid(UUID.randomUUID().toString());
      }
      Pod old = pods.put(key(v.getMetadata()), v);
      if (old != null && !old.getMetadata().getUid().equals(v.getMetadata().getUid())) {
        podsByUid.remove(old.getMetadata().getUid());
      }
      podsByUid.put(v.getMetadata().getUid(), v);
      emit(l -> l.podChanged(v));
      return v;
    }
  }

  /**
   * The stored pod of that namespace and name; a pod not yet stored is added first (with a fresh UID
   * if it has none), as if a user had created it before kube-scheduler asked about it.
   */
  Pod adopt(Pod pod) {
    synchronized (writeLock) {
      Pod existing = pods.get(key(pod.getMetadata()));
      return existing != null ? existing : applyPod(pod);
    }
  }

  /** Deletes a pod; true when it existed. */
  boolean deletePod(String namespace, String name) {
    synchronized (writeLock) {
      Pod old = pods.remove(namespace + "/" + name);
      if (old == null) {
        return false;
      }
      podsByUid.remove(old.getMetadata().getUid());
      emit(l -> l.podDeleted(old));
      return true;
    }
  }

  /** Events recorded so far, oldest first. */
  List<Recorded> events() {
    synchronized (events) {
      return List.copyOf(events);
    }
  }

  @Override
  public List<Node> cachedNodes() {
    return new ArrayList<>(nodes.values());
  }

  @Override
  public List<Pod> cachedPods() {
    return new ArrayList<>(pods.values());
  }

  @Override
  public List<ResourceQuota> cachedQuotas() {
    return new ArrayList<>(quotas.values());
  }

  @Override
  public Pod cachedPod(String uid) {
    return podsByUid.get(uid);
  }

  @Override
  public Node node(String name) {
    return nodes.get(name);
  }

  @Override
  public Pod pod(String namespace, String name) {
    return pods.get(namespace + "/" + name);
  }

  @Override
  public Node patchNodeAnnotations(String name, Map<String, String> annotations, String resourceVersion) {
    synchronized (writeLock) {
      Node old = nodes.get(name);
      if (old == null) {
        throw new ApiException("patch node " + name + ": nodes \"" + name + "\" not found", null);
      }
      if (resourceVersion != null && !resourceVersion.equals(old.getMetadata().getResourceVersion())) {
        throw new Conflict("patch node " + name + ": the object has been modified", null);
      }
      Node updated = versioned(new NodeBuilder(old).editMetadata()
          .withAnnotations(merge(old.getMetadata().getAnnotations(), annotations)).endMetadata().build());
      nodes.put(name, updated);
      emit(l -> l.nodeChanged(updated));
      return updated;
    }
  }

  @Override
  public Pod patchPodMetadata(String namespace, String name, Map<String, String> annotations,
      Map<String, String> labels) {
    synchronized (writeLock) {
      Pod old = pods.get(namespace + "/" + name);
      if (old == null) {
        throw new ApiException("patch pod " + namespace + "/" + name + ": pods \"" + name + "\" not found", null);
      }
      Pod updated = versioned(new PodBuilder(old).editMetadata()
          .withAnnotations(merge(old.getMetadata().getAnnotations(), annotations))
          .withLabels(merge(old.getMetadata().getLabels(), labels))
          .endMetadata().build());
      store(updated);
      return updated;
    }
  }

  private void store(Pod updated) {
    pods.put(key(updated.getMetadata()), updated);
    podsByUid.put(updated.getMetadata().getUid(), updated);
    emit(l -> l.podChanged(updated));
  }

  private static Map<String, String> merge(Map<String, String> base, Map<String, String> patch) {
    Map<String, String> out = new LinkedHashMap<>(base == null ? Map.of() : base);
    patch.forEach((k, v) -> {
      if (v == null) {
        out.remove(k);
      } else {
        out.put(k, v);
      }
    });
    return out;
  }

  @Override
  public void bind(String namespace, String name, String uid, String node) {
    synchronized (writeLock) {
      Pod old = pods.get(namespace + "/" + name);
      if (old == null || (uid != null && !uid.isEmpty() && !uid.equals(old.getMetadata().getUid()))) {
        throw new ApiException("bind pod " + namespace + "/" + name + ": pods \"" + name + "\" not found", null);
      }
      if (old.getSpec().getNodeName() != null && !old.getSpec().getNodeName().isEmpty()) {
        throw new Conflict("bind pod " + namespace + "/" + name + ": pod is already assigned to node \""
            + old.getSpec().getNodeName() + "\"", null);
      }
      if (!nodes.containsKey(node)) {
        throw new ApiException("bind pod " + namespace + "/" + name + ": nodes \"" + node + "\" not found", null);
      }
      // kubelet + device plugin: the pod runs and its devices are handed out
      Map<String, String> ann = new HashMap<>();
      String toAllocate = old.getMetadata().getAnnotations() == null ? null
          : old.getMetadata().getAnnotations().get(Annotations.DEVICES_TO_ALLOCATE);
      if (toAllocate != null) {
        ann.put(Annotations.DEVICES_TO_ALLOCATE, toAllocate.replaceAll("[^;]", ""));
        ann.put(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
      }
      Pod bound = versioned(new PodBuilder(old)
          .editMetadata().withAnnotations(merge(old.getMetadata().getAnnotations(), ann)).endMetadata()
          .editSpec().withNodeName(node).endSpec()
          .editOrNewStatus().withPhase("Running").endStatus()
          .build());
      store(bound);
      Node n = nodes.get(node);
      String lock = n.getMetadata().getAnnotations() == null ? null
          : n.getMetadata().getAnnotations().get(Annotations.NODE_LOCK);
      if (lock != null && lock.endsWith("," + namespace + "," + name)) {
        Map<String, String> release = new HashMap<>();
        release.put(Annotations.NODE_LOCK, null);
        patchNodeAnnotations(node, release, null);
      }
    }
  }

  @Override
  public void recordEvent(Pod pod, String type, String reason, String message) {
    synchronized (events) {
      events.addLast(new Recorded(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), type, reason, message));
      if (events.size() > 10_000) {
        events.removeFirst();
      }
    }
  }

  @Override
  public void close() {
    dispatcher.shutdownNow();
    try {
      dispatcher.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
