package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.RegisterCodec;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.PodAllocation;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the core's {@link GpuScheduler} in step with the cluster: informer events become ledger
 * operations (nodes from their register annotation and handshake, pods from their allocation
 * annotations, ResourceQuotas), incrementally. The ledger can be rebuilt from the informer caches in
 * one step (on becoming leader, on a configuration change) and is only fed while active.
 *
 * <p>A pod the extender itself just decided is guarded: until an informer event shows the allocation
 * the extender wrote, older events of that pod (which cannot know it yet) are ignored, so a stale
 * event never moves a reservation back and frees a slice another pod could then take.
 */
final class ClusterLedger implements Cluster.Listener {
  private static final Logger LOG = Logger.getLogger(ClusterLedger.class.getName());
  /** Stands for "no {@code hami.io/vgpu-devices-allocated} annotation" in {@link #expect}. */
  private static final String ABSENT = "\u0000absent";

  private final Cluster cluster;
  private final NodeHealth health;
  private final Object feedLock = new Object();
  private final ConcurrentHashMap<String, String> expected = new ConcurrentHashMap<>();
  /** Node name → what its last registration was built from, to skip unchanged node updates. */
  private final Map<String, String> registered = new ConcurrentHashMap<>();
  /** Node name → the inputs of its last evaluation, to skip node updates that change nothing we read (e.g. the lock). */
  private final Map<String, NodeInputs> lastSeen = new ConcurrentHashMap<>();
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "hami-node-writer");
    t.setDaemon(true);
    return t;
  });
  private volatile Consumer<String> podGone = uid -> { };
  private volatile GpuScheduler scheduler;
  private volatile Settings settings;
  private volatile boolean active;

  ClusterLedger(Cluster cluster, NodeHealth health, Settings settings) {
    this.cluster = cluster;
    this.health = health;
    this.settings = settings;
    this.scheduler = GpuScheduler.create(settings.scheduler());
  }

  /** Called with the UID of every pod that was deleted or terminated. */
  void onPodGone(Consumer<String> callback) {
    this.podGone = callback;
  }

  /** The ledger in use. */
  GpuScheduler scheduler() {
    return scheduler;
  }

  Settings settings() {
    return settings;
  }

  boolean active() {
    return active;
  }

  /**
   * Builds a fresh ledger with {@code newSettings} from the informer caches and makes it the one in
   * use; from then on events feed it. Events that arrive meanwhile wait.
   */
  void rebuild(Settings newSettings) {
    synchronized (feedLock) {
      GpuScheduler fresh = GpuScheduler.create(newSettings.scheduler());
      if (!newSettings.scheduler().resourceNames().count().equals(settings.scheduler().resourceNames().count())) {
        health.reset();
      }
      this.settings = newSettings;
      this.scheduler = fresh;
      this.active = true;
      registered.clear();
      lastSeen.clear();
      expected.clear();
      cluster.cachedQuotas().forEach(this::applyQuota);
      cluster.cachedNodes().forEach(this::applyNode);
      cluster.cachedPods().forEach(this::applyPod);
      LOG.info("ledger rebuilt: " + registered.size() + " GPU nodes");
    }
  }

  /** Stops feeding the ledger (leadership lost); {@link #rebuild} starts it again. */
  void deactivate() {
    synchronized (feedLock) {
      active = false;
    }
  }

  /** Re-evaluates every node's handshake (timeouts pass without events). */
  void recheckNodes() {
    synchronized (feedLock) {
      if (active) {
        cluster.cachedNodes().forEach(this::applyNode);
      }
    }
  }

  /**
   * Announces that the extender is writing {@code devicesAllocated} on pod {@code uid}: events of the
   * pod that carry another value are stale until one with this value arrives.
   */
  void expect(String uid, String devicesAllocated) {
    expected.put(uid, devicesAllocated == null ? ABSENT : devicesAllocated);
  }

  /** Cancels {@link #expect} (the write failed or was undone). */
  void unexpect(String uid) {
    expected.remove(uid);
  }

  /**
   * Books pod {@code uid} again as the cluster view records it. Called when a decision for the pod
   * dropped its booking but was not written (unschedulable now, or the patch failed): the pod's
   * annotations still claim the earlier allocation, and a ledger rebuilt from the cluster would
   * count it, so this one must too.
   */
  void resync(String uid) {
    synchronized (feedLock) {
      Pod pod = cluster.cachedPod(uid);
      if (active && pod != null) {
        applyPod(pod);
      }
    }
  }

  // ------------------------------------------------------------------ informer events

  /** What {@link #applyNode} reads from a node. */
  private record NodeInputs(String handshake, long allocatable, String register, String cordon, String scores) {}

  @Override
  public void nodeChanged(Node node) {
    synchronized (feedLock) {
      if (!active) {
        return;
      }
      Map<String, String> ann = node.getMetadata().getAnnotations() == null ? Map.of() : node.getMetadata().getAnnotations();
      NodeInputs inputs = new NodeInputs(ann.get(Annotations.NODE_HANDSHAKE),
          allocatable(node, settings.scheduler().resourceNames().count()), ann.get(Annotations.NODE_NVIDIA_REGISTER),
          ann.get(Annotations.DEVICE_CORDON), ann.get(Annotations.NODE_NVIDIA_SCORE));
      // time-driven changes are caught by recheckNodes; an update touching nothing we read is skipped
      if (!inputs.equals(lastSeen.put(node.getMetadata().getName(), inputs))) {
        applyNode(node);
      }
    }
  }

  @Override
  public void nodeDeleted(Node node) {
    synchronized (feedLock) {
      String name = node.getMetadata().getName();
      health.forget(name);
      registered.remove(name);
      lastSeen.remove(name);
      if (active) {
        scheduler.removeNode(name);
      }
    }
  }

  @Override
  public void podChanged(Pod pod) {
    synchronized (feedLock) {
      if (active) {
        applyPod(pod);
      }
    }
  }

  @Override
  public void podDeleted(Pod pod) {
    synchronized (feedLock) {
      String uid = pod.getMetadata().getUid();
      expected.remove(uid);
      podGone.accept(uid);
      if (active) {
        scheduler.removePod(uid);
      }
    }
  }

  @Override
  public void quotaChanged(ResourceQuota quota) {
    synchronized (feedLock) {
      if (active) {
        applyQuota(quota);
      }
    }
  }

  @Override
  public void quotaDeleted(ResourceQuota quota) {
    synchronized (feedLock) {
      if (active) {
        scheduler.removeQuota(quota.getMetadata().getNamespace(), quota.getMetadata().getName());
      }
    }
  }

  // ------------------------------------------------------------------ translation

  private void applyNode(Node node) {
    String name = node.getMetadata().getName();
    Map<String, String> ann = node.getMetadata().getAnnotations() == null ? Map.of() : node.getMetadata().getAnnotations();
    String register = ann.get(Annotations.NODE_NVIDIA_REGISTER);
    NodeHealth.Verdict verdict = health.check(name, ann.get(Annotations.NODE_HANDSHAKE),
        allocatable(node, settings.scheduler().resourceNames().count()), register);
    if (verdict.handshake() != null) {
      writeHandshake(name, verdict.handshake());
    }
    if (!verdict.healthy()) {
      if (registered.remove(name) != null) {
        LOG.warning("GPU agent of node " + name + " is silent; its devices are removed until it reports again");
        scheduler.removeNode(name);
        writeHandshake(name, null);
      }
      return;
    }
    if (register == null) {
      return;
    }
    String fingerprint = register + '\0' + ann.get(Annotations.DEVICE_CORDON) + '\0' + ann.get(Annotations.NODE_NVIDIA_SCORE);
    if (fingerprint.equals(registered.get(name))) {
      return;
    }
    List<GpuDevice> devices;
    try {
      devices = RegisterCodec.decode(register, name);
    } catch (HamiFormatException e) {
      if (!register.strip().equals("[]")) {
        LOG.warning("node " + name + " keeps its previous registration: " + e.getMessage());
        return;
      }
      // the agent registers no GPU at all (e.g. its only GPU fell off the bus): nothing to schedule
      // there, as upstream skips such a node; keeping the last registration would place pods on it
      devices = List.of();
    }
    try {
      scheduler.upsertNode(name, devices, ann);
      registered.put(name, fingerprint);
    } catch (HamiFormatException | IllegalArgumentException e) {
      LOG.warning("node " + name + " keeps its previous registration: " + e.getMessage());
    }
  }

  private void applyPod(Pod pod) {
    String uid = pod.getMetadata().getUid();
    if (PodViews.terminated(pod)) {
      expected.remove(uid);
      podGone.accept(uid);
      scheduler.removePod(uid);
      return;
    }
    String written = PodViews.annotations(pod).getOrDefault(Annotations.DEVICES_ALLOCATED, ABSENT);
    String awaited = expected.get(uid);
    if (awaited != null) {
      if (!awaited.equals(written)) {
        return;
      }
      expected.remove(uid, awaited);
    }
    PodAllocation allocation;
    try {
      allocation = PodViews.allocation(pod);
    } catch (HamiFormatException | IllegalArgumentException e) {
      LOG.warning("pod " + PodViews.ref(pod) + " is not counted: " + e.getMessage());
      return;
    }
    if (allocation != null) {
      scheduler.upsertPod(allocation);
    }
  }

  private void applyQuota(ResourceQuota quota) {
    Map<String, String> hard = new HashMap<>();
    if (quota.getSpec() != null) {
      hard.putAll(PodViews.quantities(quota.getSpec().getHard()));
    }
    try {
      scheduler.setQuota(quota.getMetadata().getNamespace(), quota.getMetadata().getName(), hard);
    } catch (HamiFormatException e) {
      LOG.warning("ResourceQuota " + quota.getMetadata().getNamespace() + "/" + quota.getMetadata().getName()
          + " ignored: " + e.getMessage());
    }
  }

  static long allocatable(Node node, String resource) {
    if (node.getStatus() == null || node.getStatus().getAllocatable() == null) {
      return 0;
    }
    Quantity q = node.getStatus().getAllocatable().get(resource);
    if (q == null) {
      return 0;
    }
    try {
      return Quantity.getAmountInBytes(q).longValue();
    } catch (ArithmeticException | IllegalArgumentException e) {
      return 0;
    }
  }

  /** Writes (or with null removes) the node's handshake in the background, unless it is no longer needed. */
  private void writeHandshake(String node, String value) {
    String key = Annotations.NODE_HANDSHAKE;
    writer.execute(() -> {
      try {
        Map<String, String> patch = new HashMap<>();
        patch.put(key, value);
        Node current = cluster.node(node);
        String now = current == null ? null : NodeLocks.annotation(current, key);
        boolean stillNeeded = value == null ? now != null : now == null || !now.contains("Requesting");
        if (current != null && stillNeeded) {
          cluster.patchNodeAnnotations(node, patch, null);
        }
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "writing " + key + " on node " + node + " failed", e);
      }
    });
  }

  /** Stops the background writer. */
  void close() {
    writer.shutdownNow();
  }
}
