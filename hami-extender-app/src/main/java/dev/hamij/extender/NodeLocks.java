package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.NodeLock;
import dev.hamij.api.NodeLockCodec;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * HAMi's node lock {@code hami.io/mutex.lock} (scheduler.md §3.6): taken by bind so that a node's
 * device plugin serves one pod's allocation at a time. The annotation is written with optimistic
 * concurrency on the node's resourceVersion, so two scheduler replicas (or a scheduler and a device
 * plugin) never both believe they hold it. Owner-aware and re-entrant. Instead of waiting out the
 * timeout, a lock is taken over at once when its owner pod is gone, finished, being deleted, bound or
 * re-scheduled to another node, or already done allocating; an expired or malformed lock is taken
 * over as well, and so is one whose owner already runs (its allocation is over). Within this process
 * calls on the same node are serialised.
 */
final class NodeLocks {
  private static final Logger LOG = Logger.getLogger(NodeLocks.class.getName());
  private static final int ATTEMPTS = 6;

  /** Why a lock could not be taken. */
  static final class LockException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean contention;

    LockException(String message, boolean contention) {
      super(message);
      this.contention = contention;
    }

    /** True when another live pod holds the lock (as opposed to an API failure). */
    boolean contention() {
      return contention;
    }
  }

  private final Cluster cluster;
  private final Duration timeout;
  private final Clock clock;
  private final ConcurrentHashMap<String, ReentrantLock> stripes = new ConcurrentHashMap<>();

  NodeLocks(Cluster cluster, Duration timeout, Clock clock) {
    this.cluster = cluster;
    this.timeout = timeout;
    this.clock = clock;
  }

  /** Takes the lock of {@code node} for pod {@code namespace/name}; returns at once if the pod already holds it. */
  void lock(String node, String namespace, String name) throws LockException {
    ReentrantLock stripe = stripes.computeIfAbsent(node, k -> new ReentrantLock());
    stripe.lock();
    try {
      String lastError = "";
      for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        Node n;
        try {
          n = cluster.node(node);
        } catch (Cluster.ApiException e) {
          lastError = e.getMessage();
          backoff(attempt);
          continue;
        }
        if (n == null) {
          throw new LockException("failed to get node " + node + ": not found", false);
        }
        String value = annotation(n, Annotations.NODE_LOCK);
        if (value != null) {
          NodeLock held = decode(value, node);
          if (held != null && held.ownedBy(namespace, name)) {
            return;
          }
          String stale = held == null ? "malformed value \"" + value + "\"" : staleness(held, node);
          if (stale == null) {
            throw new LockException("node " + node + " has been locked within " + human(timeout) + " by "
                + held.owner().orElse("a legacy lock") + ": node lock contention", true);
          }
          LOG.info("taking over node lock of " + node + " (" + stale + ")");
        }
        Map<String, String> patch = new HashMap<>();
        patch.put(Annotations.NODE_LOCK, NodeLockCodec.encode(new NodeLock(clock.instant(), namespace, name)));
        try {
          cluster.patchNodeAnnotations(node, patch, n.getMetadata().getResourceVersion());
          LOG.fine(() -> "node lock set on " + node + " for " + namespace + "/" + name);
          return;
        } catch (Cluster.Conflict e) {
          lastError = e.getMessage();
        } catch (Cluster.ApiException e) {
          lastError = e.getMessage();
          backoff(attempt);
        }
      }
      throw new LockException("failed to lock node " + node + ": " + lastError, false);
    } finally {
      stripe.unlock();
    }
  }

  /**
   * Releases the lock of {@code node} if {@code namespace/name} holds it (or it is a legacy lock
   * without owner). Never throws: a lock that cannot be released is logged and left to expire or be
   * taken over.
   */
  void release(String node, String namespace, String name) {
    ReentrantLock stripe = stripes.computeIfAbsent(node, k -> new ReentrantLock());
    stripe.lock();
    try {
      for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        try {
          Node n = cluster.node(node);
          String value = n == null ? null : annotation(n, Annotations.NODE_LOCK);
          if (value == null) {
            return;
          }
          NodeLock held = decode(value, node);
          if (held == null || (held.hasOwner() && !held.ownedBy(namespace, name))) {
            return;
          }
          Map<String, String> patch = new HashMap<>();
          patch.put(Annotations.NODE_LOCK, null);
          cluster.patchNodeAnnotations(node, patch, n.getMetadata().getResourceVersion());
          LOG.fine(() -> "node lock released on " + node + " by " + namespace + "/" + name);
          return;
        } catch (Cluster.Conflict e) {
          // re-read and try again
        } catch (Cluster.ApiException e) {
          LOG.warning("releasing node lock of " + node + ": " + e.getMessage());
          backoff(attempt);
        }
      }
      LOG.warning("node lock of " + node + " held by " + namespace + "/" + name + " could not be released");
    } finally {
      stripe.unlock();
    }
  }

  private static NodeLock decode(String value, String node) {
    try {
      return NodeLockCodec.decode(value, node);
    } catch (HamiFormatException e) {
      return null;
    }
  }

  /** Why the held lock no longer protects anything, or null when it is live. */
  private String staleness(NodeLock held, String node) {
    Instant now = clock.instant();
    if (Duration.between(held.time(), now).compareTo(timeout) > 0) {
      return "expired, taken at " + held.time();
    }
    if (!held.hasOwner()) {
      return null;
    }
    Pod owner;
    try {
      owner = cluster.pod(held.namespace(), held.name());
    } catch (Cluster.ApiException e) {
      return null;
    }
    String who = "owner " + held.namespace() + "/" + held.name();
    if (owner == null) {
      return who + " no longer exists";
    }
    String phase = owner.getStatus() == null ? null : owner.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return who + " has finished (" + phase + ")";
    }
    if ("Running".equals(phase)) {
      // kubelet starts containers only after the device plugin's Allocate, which ends the lock's purpose
      return who + " is already running";
    }
    if (owner.getMetadata().getDeletionTimestamp() != null) {
      return who + " is being deleted";
    }
    String boundTo = owner.getSpec() == null ? null : owner.getSpec().getNodeName();
    if (boundTo != null && !boundTo.isEmpty() && !boundTo.equals(node)) {
      return who + " is bound to node " + boundTo;
    }
    String scheduledTo = annotation(owner, Annotations.VGPU_NODE);
    if (scheduledTo != null && !scheduledTo.equals(node)) {
      return who + " was scheduled to node " + scheduledTo;
    }
    String bindPhase = annotation(owner, Annotations.BIND_PHASE);
    if (Annotations.PHASE_SUCCESS.equals(bindPhase) || Annotations.PHASE_FAILED.equals(bindPhase)) {
      return who + " finished allocating (bind-phase " + bindPhase + ")";
    }
    return null;
  }

  static String annotation(io.fabric8.kubernetes.api.model.HasMetadata o, String key) {
    Map<String, String> a = o.getMetadata().getAnnotations();
    return a == null ? null : a.get(key);
  }

  /** Go's duration format for whole minutes/seconds, as in HAMi's message ({@code 5m0s}). */
  static String human(Duration d) {
    long s = d.getSeconds();
    if (s >= 3600) {
      return (s / 3600) + "h" + (s % 3600 / 60) + "m" + (s % 60) + "s";
    }
    if (s >= 60) {
      return (s / 60) + "m" + (s % 60) + "s";
    }
    return s + "s";
  }

  private static void backoff(int attempt) {
    long base = 100L << Math.min(attempt, 5);
    long jitter = ThreadLocalRandom.current().nextLong(base / 2 + 1);
    try {
      Thread.sleep(base + jitter);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
