package dev.hamij.extender;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.RegisterCodec;
import dev.hamij.core.Decision;
import dev.hamij.core.ExtenderPriority;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.PodAllocation;
import dev.hamij.core.PodSpec;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * The scheduler side behind the HTTP surface: filter, prioritize, bind and admission, translating
 * between Kubernetes objects and the core's decisions. It holds no decision logic; it owns the
 * protocol around the decisions — which annotations to write when, the node lock, the Binding, events
 * — and guarantees that no GPU slice is ever handed to two pods:
 *
 * <ul>
 *   <li>{@link FilterMode#BEST_NODE} (HAMi): filter decides and reserves on one node atomically
 *       ({@link GpuScheduler#schedule}) and writes the pod's allocation annotations; bind applies it.</li>
 *   <li>{@link FilterMode#ALL_NODES} (HAMi #2264): filter only reports every feasible node, so
 *       kube-scheduler's own scoring still counts; bind decides and reserves on the node kube-scheduler
 *       chose, atomically, and fails cleanly when a concurrent bind took the room first.</li>
 * </ul>
 */
final class Extender implements ExtenderApi {
  private static final Logger LOG = Logger.getLogger(Extender.class.getName());
  /** Above this many candidates the FilteringSucceed event omits the other nodes' scores (they cost a full fit each). */
  static final int EVENT_SCORE_LIMIT = 256;
  static final String POD_GROUP_LABEL = "scheduling.x-k8s.io/pod-group";

  /** Where the pod's allocation annotations are written. */
  enum FilterMode {
    /** HAMi's behaviour: one best node, annotations at filter time. */
    BEST_NODE,
    /** Every feasible node; annotations at bind for the node kube-scheduler chose. */
    ALL_NODES;

    static FilterMode parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "best-node", "hami" -> BEST_NODE;
        case "all-nodes", "all" -> ALL_NODES;
        default -> throw new IllegalArgumentException("--filter-mode: expected best-node or all-nodes, got \"" + s + "\"");
      };
    }
  }

  /** A filter decision applied to a pod (BEST_NODE mode), awaiting its bind. */
  private record Applied(String node, boolean hasDevices) {}

  private final Cluster cluster;
  private final ClusterLedger ledger;
  private final NodeLocks locks;
  private final ExtenderMetrics metrics;
  private final AdmissionHandler admission;
  private final FilterMode mode;
  private final Clock clock;
  private final BooleanSupplier leader;
  private final Duration readyWait;
  private final Duration podGroupLockWait;
  private final ConcurrentHashMap<String, Applied> applied = new ConcurrentHashMap<>();
  private final Object readiness = new Object();
  private volatile boolean synced;

  Extender(Cluster cluster, ClusterLedger ledger, NodeLocks locks, ExtenderMetrics metrics, AdmissionHandler admission,
      FilterMode mode, Clock clock, BooleanSupplier leader, Duration readyWait, Duration podGroupLockWait) {
    this.cluster = cluster;
    this.ledger = ledger;
    this.locks = locks;
    this.metrics = metrics;
    this.admission = admission;
    this.mode = mode;
    this.clock = clock;
    this.leader = leader;
    this.readyWait = readyWait;
    this.podGroupLockWait = podGroupLockWait;
    ledger.onPodGone(applied::remove);
  }

  /**
   * Rebuilds the ledger from the cluster with {@code settings} (new leader, new configuration).
   * Filter decisions taken before are forgotten; their binds re-check against the new ledger.
   */
  void rebuild(Settings settings) {
    ledger.rebuild(settings);
    applied.clear();
    leadershipChanged();
  }

  /** Marks the cluster view as synced (or not) and wakes callers waiting for readiness. */
  void setSynced(boolean value) {
    synchronized (readiness) {
      synced = value;
      readiness.notifyAll();
    }
  }

  /** Wakes callers waiting for readiness after a leadership change. */
  void leadershipChanged() {
    synchronized (readiness) {
      readiness.notifyAll();
    }
  }

  @Override
  public String notReadyReason() {
    if (!synced) {
      return "cluster view not synced yet";
    }
    if (!leader.getAsBoolean()) {
      return "not the leader";
    }
    if (!ledger.active()) {
      return "ledger not built yet";
    }
    return null;
  }

  /** Waits up to the configured time for readiness; returns the reason when still not ready. */
  private String awaitReady() {
    if (notReadyReason() == null) {
      return null;
    }
    long deadline = System.nanoTime() + readyWait.toNanos();
    synchronized (readiness) {
      String reason;
      while ((reason = notReadyReason()) != null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return reason;
        }
        try {
          readiness.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return reason;
        }
      }
      return null;
    }
  }

  // ------------------------------------------------------------------ filter

  @Override
  public ExtenderWire.FilterResult filter(ExtenderWire.Args args) {
    try {
      return doFilter(args);
    } catch (RuntimeException e) {
      LOG.warning("filter failed: " + e);
      return ExtenderWire.FilterResult.error("filter failed: " + e.getMessage());
    }
  }

  private ExtenderWire.FilterResult doFilter(ExtenderWire.Args args) {
    Pod pod = args.pod();
    if (args.nodes() != null) {
      return simulate(args);
    }
    String notReady = awaitReady();
    if (notReady != null) {
      return ExtenderWire.FilterResult.error("scheduler not ready: " + notReady);
    }
    PodSpec spec = PodViews.spec(pod);
    List<String> candidates = args.nodeNames() == null ? List.of() : args.nodeNames();
    GpuScheduler scheduler = ledger.scheduler();
    if (mode == FilterMode.ALL_NODES) {
      Decision d = scheduler.filter(spec, candidates);
      return switch (d.outcome()) {
        case NOT_GPU_POD -> passThrough(args);
        case INVALID_REQUEST -> invalid(pod, d);
        case UNSCHEDULABLE -> unschedulable(pod, d, candidates);
        case SCHEDULED -> {
          List<String> fits = d.fittingNodes().stream().map(Decision.NodeResult::node).toList();
          Map<String, String> failed = d.failedNodes();
          if (!failed.isEmpty()) {
            metrics.countRejections(failed);
          }
          cluster.recordEvent(pod, "Normal", "FilteringSucceed", succeededMessage(d, candidates.size()));
          yield new ExtenderWire.FilterResult(null, fits, failed.isEmpty() ? null : failed, "");
        }
      };
    }
    if (spec.uid().isEmpty()) {
      return ExtenderWire.FilterResult.error("pod " + spec.ref() + " has no uid");
    }
    Decision d = scheduler.schedule(spec, candidates);
    return switch (d.outcome()) {
      case NOT_GPU_POD -> passThrough(args);
      case INVALID_REQUEST -> invalid(pod, d);
      case UNSCHEDULABLE -> {
        applied.remove(spec.uid());
        ledger.resync(spec.uid()); // schedule dropped the pod's previous booking, its annotations still claim it
        yield unschedulable(pod, d, candidates);
      }
      case SCHEDULED -> {
        String node = d.node().orElseThrow();
        String error = writeAllocation(pod, d, scheduler);
        if (error != null) {
          applied.remove(spec.uid());
          cluster.recordEvent(pod, "Warning", "FilteringFailed", error);
          yield ExtenderWire.FilterResult.error(error);
        }
        applied.put(spec.uid(), new Applied(node, !d.devices().isEmpty()));
        cluster.recordEvent(pod, "Normal", "FilteringSucceed", succeededMessage(d, candidates.size()));
        yield new ExtenderWire.FilterResult(null, List.of(node), null, "");
      }
    };
  }

  private static ExtenderWire.FilterResult passThrough(ExtenderWire.Args args) {
    return new ExtenderWire.FilterResult(args.nodes(), args.nodeNames(), null, "");
  }

  private ExtenderWire.FilterResult invalid(Pod pod, Decision d) {
    cluster.recordEvent(pod, "Warning", "FilteringFailed", d.error());
    return ExtenderWire.FilterResult.error(d.error());
  }

  private ExtenderWire.FilterResult unschedulable(Pod pod, Decision d, List<String> candidates) {
    Map<String, String> failed = d.failedNodes();
    metrics.countRejections(failed);
    Map<String, TreeSet<String>> byReason = new TreeMap<>();
    failed.forEach((node, reasons) -> {
      for (String r : ExtenderMetrics.reasons(reasons)) {
        byReason.computeIfAbsent(r, k -> new TreeSet<>()).add(node);
      }
    });
    byReason.forEach((reason, nodes) -> cluster.recordEvent(pod, "Warning", "FilteringFailed",
        nodes.size() + " nodes " + reason + "(" + String.join(",", nodes) + ")"));
    cluster.recordEvent(pod, "Warning", "FilteringFailed",
        "no available node, " + candidates.size() + " nodes do not meet");
    return new ExtenderWire.FilterResult(null, null, failed, "");
  }

  /** HAMi's FilteringSucceed text; scores of the other nodes only for small candidate lists. */
  private static String succeededMessage(Decision d, int candidates) {
    String node = d.node().orElse("");
    if (candidates > EVENT_SCORE_LIMIT) {
      return String.format(Locale.ROOT, "find fit node(%s), score %.2f, %d candidate nodes", node, d.score(), candidates);
    }
    List<Decision.NodeResult> fits = new ArrayList<>(d.fittingNodes());
    fits.sort((a, b) -> Float.compare(a.score(), b.score()));
    StringBuilder scores = new StringBuilder();
    for (Decision.NodeResult r : fits) {
      if (scores.length() > 0) {
        scores.append(',');
      }
      scores.append(r.node()).append(':').append(String.format(Locale.ROOT, "%.2f", r.score()));
    }
    return "find fit node(" + node + "), " + (candidates - fits.size()) + " nodes not fit, " + fits.size()
        + " nodes fit(" + scores + ")";
  }

  /**
   * Writes the decision's annotations and the {@code hami.io/vgpu-node} label on the pod; on failure
   * releases the reservation, books again what the pod's annotations still say, and returns the error
   * text.
   */
  private String writeAllocation(Pod pod, Decision d, GpuScheduler scheduler) {
    String uid = pod.getMetadata().getUid();
    Map<String, String> annotations = d.annotations(clock.instant());
    ledger.expect(uid, annotations.get(Annotations.DEVICES_ALLOCATED));
    try {
      cluster.patchPodMetadata(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), annotations,
          Map.of(Annotations.VGPU_NODE, d.node().orElseThrow()));
      return null;
    } catch (Cluster.ApiException e) {
      ledger.unexpect(uid);
      scheduler.release(uid);
      ledger.resync(uid); // the pod keeps whatever allocation it carried before this decision
      return e.getMessage();
    }
  }

  /** Simulation mode (scheduler.md §5.13): node objects given, usage from zero, no side effects. */
  private ExtenderWire.FilterResult simulate(ExtenderWire.Args args) {
    GpuScheduler current = ledger.scheduler();
    GpuScheduler sim = GpuScheduler.create(current.config());
    Map<String, Node> byName = new LinkedHashMap<>();
    for (Node n : args.nodes()) {
      String name = n.getMetadata().getName();
      byName.put(name, n);
      Map<String, String> ann = n.getMetadata().getAnnotations() == null ? Map.of() : n.getMetadata().getAnnotations();
      try {
        List<GpuDevice> devices = RegisterCodec.decode(ann.get(Annotations.NODE_NVIDIA_REGISTER), name);
        sim.upsertNode(name, devices, ann);
      } catch (HamiFormatException | IllegalArgumentException e) {
        // an undecodable node stays unregistered and is reported as such
      }
    }
    for (ResourceQuota q : cluster.cachedQuotas()) {
      try {
        sim.setQuota(q.getMetadata().getNamespace(), q.getMetadata().getName(),
            PodViews.quantities(q.getSpec() == null ? null : q.getSpec().getHard()));
      } catch (HamiFormatException e) {
        // ignored here as in the live ledger
      }
    }
    // quota use still counts: book the live pods on a node name no candidate can have
    for (Pod p : cluster.cachedPods()) {
      try {
        PodAllocation a = PodViews.allocation(p);
        if (a != null && !PodViews.terminated(p)) {
          sim.upsertPod(new PodAllocation(a.uid(), a.namespace(), a.name(), "\u0000quota-only", a.devices(), a.mig(),
              a.initContainerCount(), a.initReleased()));
        }
      } catch (HamiFormatException | IllegalArgumentException e) {
        // not counted, as in the live ledger
      }
    }
    Decision d = sim.filter(PodViews.spec(args.pod()), new ArrayList<>(byName.keySet()));
    return switch (d.outcome()) {
      case NOT_GPU_POD -> passThrough(args);
      case INVALID_REQUEST -> ExtenderWire.FilterResult.error(d.error());
      case UNSCHEDULABLE -> new ExtenderWire.FilterResult(List.of(), null, d.failedNodes(), "");
      case SCHEDULED -> new ExtenderWire.FilterResult(List.of(byName.get(d.node().orElseThrow())), null,
          d.failedNodes(), "");
    };
  }

  // ------------------------------------------------------------------ prioritize

  @Override
  public List<ExtenderWire.HostPriority> prioritize(ExtenderWire.Args args) {
    List<String> candidates = args.candidates();
    List<ExtenderWire.HostPriority> out = new ArrayList<>();
    if (awaitReady() != null) {
      candidates.forEach(n -> out.add(new ExtenderWire.HostPriority(n, 0)));
      return out;
    }
    GpuScheduler scheduler = ledger.scheduler();
    Decision d = scheduler.filter(PodViews.spec(args.pod()), candidates);
    Map<String, Integer> priorities = ExtenderPriority.of(d, scheduler.config().nodePolicy());
    for (String n : candidates) {
      out.add(new ExtenderWire.HostPriority(n, priorities.getOrDefault(n, 0)));
    }
    return out;
  }

  // ------------------------------------------------------------------ bind

  @Override
  public String bind(ExtenderWire.BindArgs args) {
    try {
      return doBind(args);
    } catch (RuntimeException e) {
      LOG.warning("bind failed: " + e);
      return "bind failed: " + e.getMessage();
    }
  }

  private String doBind(ExtenderWire.BindArgs args) {
    String ns = args.podNamespace();
    String name = args.podName();
    String node = args.node();
    String notReady = awaitReady();
    if (notReady != null) {
      return "scheduler not ready: " + notReady;
    }
    Pod pod = cluster.cachedPod(args.podUid());
    if (pod == null) {
      pod = cluster.pod(ns, name);
    }
    if (pod == null || (!args.podUid().isEmpty() && !args.podUid().equals(pod.getMetadata().getUid()))) {
      ledger.unexpect(args.podUid());
      ledger.scheduler().release(args.podUid());
      applied.remove(args.podUid());
      return "pod " + ns + "/" + name + " not found";
    }
    String uid = pod.getMetadata().getUid();
    GpuScheduler scheduler = ledger.scheduler();
    boolean tookReservation = false;
    boolean hasDevices;
    Applied a = applied.get(uid);
    if (a != null && a.node().equals(node)) {
      hasDevices = a.hasDevices();
    } else if (node.equals(PodViews.annotations(pod).get(Annotations.VGPU_NODE)) && allocatedOn(pod, node)) {
      hasDevices = true;
    } else {
      Decision d = scheduler.schedule(PodViews.spec(pod), List.of(node));
      switch (d.outcome()) {
        case NOT_GPU_POD -> hasDevices = false;
        case INVALID_REQUEST -> {
          return failBind(pod, node, d.error());
        }
        case UNSCHEDULABLE -> {
          ledger.resync(uid);
          return failBind(pod, node, "node " + node + " cannot host the pod any more: "
              + d.failedNodes().getOrDefault(node, "no fit"));
        }
        default -> {
          String error = writeAllocation(pod, d, scheduler);
          if (error != null) {
            return failBind(pod, node, error);
          }
          tookReservation = true;
          hasDevices = !d.devices().isEmpty();
        }
      }
    }
    boolean locked = false;
    try {
      if (hasDevices) {
        lockWithRetry(pod, node);
        locked = true;
        Map<String, String> phase = new HashMap<>();
        phase.put(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING);
        phase.put(Annotations.BIND_TIME, Long.toString(clock.instant().getEpochSecond()));
        cluster.patchPodMetadata(ns, name, phase, Map.of());
      }
      try {
        cluster.bind(ns, name, uid, node);
      } catch (Cluster.ApiException e) {
        Pod now = cluster.pod(ns, name);
        if (now == null || now.getSpec() == null || !node.equals(now.getSpec().getNodeName())) {
          throw e;
        }
        // the Binding was created although its response was lost
      }
    } catch (NodeLocks.LockException | Cluster.ApiException e) {
      if (locked) {
        locks.release(node, ns, name);
      }
      if (tookReservation) {
        undoAllocation(pod, scheduler);
      }
      return failBind(pod, node, e.getMessage());
    }
    applied.remove(uid);
    cluster.recordEvent(pod, "Normal", "BindingSucceed", "Successfully binding node [" + node + "] to " + ns + "/" + name);
    return "";
  }

  /** True when the ledger already holds the pod's allocation on {@code node} (e.g. written before a restart). */
  private static boolean allocatedOn(Pod pod, String node) {
    try {
      PodAllocation a = PodViews.allocation(pod);
      return a != null && a.node().equals(node) && !a.devices().isEmpty();
    } catch (HamiFormatException | IllegalArgumentException e) {
      return false;
    }
  }

  private void lockWithRetry(Pod pod, String node) throws NodeLocks.LockException {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    boolean podGroup = pod.getMetadata().getLabels() != null && pod.getMetadata().getLabels().containsKey(POD_GROUP_LABEL);
    long deadline = System.nanoTime() + podGroupLockWait.toNanos();
    while (true) {
      try {
        locks.lock(node, ns, name);
        return;
      } catch (NodeLocks.LockException e) {
        if (!podGroup || !e.contention() || System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * Takes back an allocation this bind wrote: removes its annotations, then frees the reservation. If
   * the annotations cannot be removed the reservation stays (the pod still claims the slice).
   */
  private void undoAllocation(Pod pod, GpuScheduler scheduler) {
    Map<String, String> remove = new HashMap<>();
    for (String k : List.of(Annotations.VGPU_NODE, Annotations.VGPU_TIME, Annotations.DEVICES_TO_ALLOCATE,
        Annotations.DEVICES_ALLOCATED, Annotations.MIG_ALLOCATIONS, Annotations.BIND_PHASE, Annotations.BIND_TIME)) {
      remove.put(k, null);
    }
    Map<String, String> label = new HashMap<>();
    label.put(Annotations.VGPU_NODE, null);
    String uid = pod.getMetadata().getUid();
    try {
      ledger.expect(uid, null);
      cluster.patchPodMetadata(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), remove, label);
      scheduler.release(uid);
    } catch (Cluster.ApiException e) {
      ledger.unexpect(uid);
      LOG.warning("allocation of " + PodViews.ref(pod) + " kept after a failed bind: " + e.getMessage());
    }
  }

  private String failBind(Pod pod, String node, String error) {
    cluster.recordEvent(pod, "Warning", "BindingFailed", error);
    LOG.info("binding " + PodViews.ref(pod) + " to " + node + " failed: " + error);
    return error;
  }

  // ------------------------------------------------------------------ webhook

  @Override
  public AdmissionHandler.Reply admit(byte[] body) {
    return admission.handle(body);
  }
}
