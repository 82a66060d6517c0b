package dev.hamij.core;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.api.PairScoresCodec;
import dev.hamij.api.RegisterCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * HAMi-compatible GPU scheduler for NVIDIA GPUs: a cluster ledger (nodes, pod allocations, quotas)
 * plus the decisions over it (fit, scoring, MIG placement, quota), as specified by scheduler.md.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Every ledger operation is idempotent, and the ledger's state depends only on the set of
 *       current objects, not on the order they were fed in: a restarted scheduler that replays all
 *       current nodes, pods and quotas reaches exactly the state of one that saw every event.</li>
 *   <li>{@link #filter} is pure (reserves nothing); {@link #schedule} decides and books the result
 *       in one atomic step, so concurrent callers never receive the same slice.</li>
 *   <li>Safe for concurrent use from any number of threads; starts no threads, does no I/O and
 *       holds no static mutable state, so several schedulers in one JVM never see each other.</li>
 *   <li>Choices are deterministic: among nodes with the best score the lexicographically smallest
 *       node name wins, whatever the candidate order.</li>
 * </ul>
 */
public final class GpuScheduler {

  private final SchedulerConfig config;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final NodeIndex nodes = new NodeIndex();
  private final Map<String, PodEntry> pods = new HashMap<>();
  private final Map<String, Set<String>> podsByNode = new HashMap<>();
  private final Map<String, MigShape> shapeCache = new HashMap<>();
  private final QuotaBook quotas;
  private final FragmentationPolicy fragmentation = new FragmentationPolicy();

  private GpuScheduler(SchedulerConfig config) {
    this.config = config;
    this.quotas = new QuotaBook(config);
  }

  /** An empty scheduler with this configuration. */
  public static GpuScheduler create(SchedulerConfig config) {
    return new GpuScheduler(config);
  }

  public SchedulerConfig config() {
    return config;
  }

  // ---------------------------------------------------------------- ledger

  /**
   * Registers or replaces a node's GPUs (decoded {@code hami.io/node-nvidia-register}), reading the
   * cordon list ({@code hami.io/device-cordon}) and pair scores ({@code hami.io/node-nvidia-score})
   * from the node's annotations. An empty device list unregisters the node. Pods already recorded
   * on the node are booked on the new registration.
   *
   * @throws HamiFormatException when the pair-score annotation is malformed (the node is left as it was)
   * @throws IllegalArgumentException when a GPU UUID appears twice
   */
  public void upsertNode(String name, List<GpuDevice> devices, Map<String, String> nodeAnnotations) {
    Map<String, String> ann = nodeAnnotations == null ? Map.of() : nodeAnnotations;
    Map<String, Map<String, Integer>> scores = pairScores(name, ann);
    Lock w = lock.writeLock();
    w.lock();
    try {
      if (devices == null || devices.isEmpty()) {
        nodes.remove(name);
        return;
      }
      NodeRegistration reg = new NodeRegistration(name, devices, cordoned(ann.get(Annotations.DEVICE_CORDON)), scores,
          shapeCache, config);
      List<PodEntry> onNode = new ArrayList<>();
      for (String uid : podsByNode.getOrDefault(name, Set.of())) {
        onNode.add(pods.get(uid));
      }
      nodes.put(name, NodeState.build(reg, onNode));
    } finally {
      w.unlock();
    }
  }

  private NodeRegistration registration(String name, List<GpuDevice> devices, Map<String, String> ann,
      Map<String, MigShape> shapes) {
    return new NodeRegistration(name, devices, cordoned(ann.get(Annotations.DEVICE_CORDON)), pairScores(name, ann),
        shapes, config);
  }

  private static Map<String, Map<String, Integer>> pairScores(String node, Map<String, String> ann) {
    String raw = ann.get(Annotations.NODE_NVIDIA_SCORE);
    return raw == null || raw.isBlank() ? Map.of() : PairScoresCodec.decode(raw, node);
  }

  /**
   * Registers or replaces a node from its annotations alone: decodes {@code hami.io/node-nvidia-register}
   * (JSON or legacy string) and continues as {@link #upsertNode(String, List, Map)}.
   *
   * @throws HamiFormatException when the register annotation is missing or malformed, or the pair
   *     scores are; the node is then left as it was (HAMi keeps the previous registration)
   */
  public void upsertNode(String name, Map<String, String> nodeAnnotations) {
    upsertNode(name, RegisterCodec.decode(nodeAnnotations.get(Annotations.NODE_NVIDIA_REGISTER), name),
        nodeAnnotations);
  }

  /** GPU UUIDs of {@code hami.io/device-cordon}: comma list, trimmed, blanks dropped. */
  private static Set<String> cordoned(String value) {
    Set<String> out = new HashSet<>();
    if (value != null) {
      for (String s : value.split(",")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
    }
    return out;
  }

  /** Forgets a node's registration (its pods stay recorded until removed). */
  public void removeNode(String name) {
    Lock w = lock.writeLock();
    w.lock();
    try {
      nodes.remove(name);
    } finally {
      w.unlock();
    }
  }

  /**
   * Records or replaces a pod's allocation (from its annotations). Replaying the same allocation
   * changes nothing; a changed one (e.g. {@link PodAllocation#initReleased()}) replaces the old.
   */
  public void upsertPod(PodAllocation allocation) {
    PodEntry entry = PodEntry.of(allocation);
    Lock w = lock.writeLock();
    w.lock();
    try {
      PodEntry old = pods.get(entry.uid());
      if (entry.equals(old)) {
        return;
      }
      if (old != null) {
        unbook(old);
      }
      book(entry);
    } finally {
      w.unlock();
    }
  }

  /** Forgets a pod's allocation (pod deleted or terminated). Returns whether one was recorded. */
  public boolean removePod(String uid) {
    Lock w = lock.writeLock();
    w.lock();
    try {
      PodEntry old = pods.get(uid);
      if (old == null) {
        return false;
      }
      unbook(old);
      return true;
    } finally {
      w.unlock();
    }
  }

  /** Releases what {@link #schedule} reserved for a pod (bind or patch failed); same as {@link #removePod}. */
  public boolean release(String uid) {
    return removePod(uid);
  }

  /**
   * Records or replaces a ResourceQuota's GPU limits: {@code spec.hard} keys {@code limits.<memory name>}
   * (MiB before {@code memoryFactor}) and {@code limits.<cores name>}; other keys are ignored.
   *
   * @throws HamiFormatException when a GPU limit is not a non-negative whole number (nothing changes)
   */
  public void setQuota(String namespace, String quotaName, Map<String, String> hard) {
    Long[] limits = quotas.parse(namespace, quotaName, hard == null ? Map.of() : hard);
    Lock w = lock.writeLock();
    w.lock();
    try {
      quotas.set(namespace, quotaName, limits);
    } finally {
      w.unlock();
    }
  }

  /** Forgets a ResourceQuota. */
  public void removeQuota(String namespace, String quotaName) {
    Lock w = lock.writeLock();
    w.lock();
    try {
      quotas.remove(namespace, quotaName);
    } finally {
      w.unlock();
    }
  }

  private void book(PodEntry e) {
    pods.put(e.uid(), e);
    podsByNode.computeIfAbsent(e.node(), k -> new HashSet<>()).add(e.uid());
    NodeState s = nodes.get(e.node());
    if (s != null) {
      nodes.put(e.node(), s.plus(e));
    }
    quotas.add(e, +1);
  }

  private void unbook(PodEntry e) {
    pods.remove(e.uid());
    Set<String> set = podsByNode.get(e.node());
    if (set != null) {
      set.remove(e.uid());
      if (set.isEmpty()) {
        podsByNode.remove(e.node());
      }
    }
    NodeState s = nodes.get(e.node());
    if (s != null) {
      nodes.put(e.node(), s.minus(e));
    }
    quotas.add(e, -1);
  }

  // ---------------------------------------------------------------- decisions

  /**
   * Decides where the pod would go among {@code candidates} without reserving anything. The pod's
   * own recorded allocation, if any, is ignored (a re-filtered pod does not compete with itself).
   */
  public Decision filter(PodSpec pod, Collection<String> candidates) {
    return decide(pod, candidates, false);
  }

  /** {@link #filter} over every registered node. */
  public Decision filter(PodSpec pod) {
    return decide(pod, null, false);
  }

  /**
   * Decides where the pod goes among {@code candidates} and books the result atomically (the pod's
   * previous allocation, if any, is dropped first, as HAMi does). Call {@link #release} if the
   * decision cannot be applied; the pod's annotations, once written and read back through
   * {@link #upsertPod}, describe the same allocation, so that replay changes nothing.
   */
  public Decision schedule(PodSpec pod, Collection<String> candidates) {
    return decide(pod, candidates, true);
  }

  /** {@link #schedule} over every registered node. */
  public Decision schedule(PodSpec pod) {
    return decide(pod, null, true);
  }

  /**
   * HAMi's simulation mode (scheduler.md §5.13): decides for {@code pod} over the given nodes as if
   * they carried no pods at all (their registration and annotations only), still consulting the
   * pod's namespace quota. Nothing is booked and the ledger's nodes are not consulted. A node given
   * with no GPUs is reported as {@code node unregistered}.
   *
   * @throws dev.hamij.api.HamiFormatException when a node's pair-score annotation is malformed
   */
  public Decision simulate(PodSpec pod, List<NodeSpec> candidates) {
    PodRequest req;
    try {
      req = PodRequest.of(pod, config);
    } catch (PodRequest.Invalid e) {
      return invalid(pod, e);
    }
    if (!req.any) {
      return notGpu(pod);
    }
    String[] names = new String[candidates.size()];
    NodeState[] states = new NodeState[names.length];
    float[] scores = new float[names.length];
    Map<String, MigShape> shapes = new HashMap<>();
    for (int i = 0; i < names.length; i++) {
      NodeSpec n = candidates.get(i);
      names[i] = n.name();
      if (!n.devices().isEmpty()) {
        states[i] = NodeState.build(registration(n.name(), n.devices(), n.annotations(), shapes), List.of());
        scores[i] = states[i].score;
      }
    }
    Lock r = lock.readLock();
    r.lock();
    NodeFit.QuotaView quota;
    try {
      quota = quotas.view(pod.namespace(), pod.uid().isEmpty() ? null : pods.get(pod.uid()));
    } finally {
      r.unlock();
    }
    return conclude(pod, req, names, states, scores, quota, false);
  }

  /**
   * A node as given to {@link #simulate}: its name, decoded GPUs and node annotations.
   *
   * @param name node name
   * @param devices decoded {@code hami.io/node-nvidia-register}; empty when missing or invalid
   * @param annotations node annotations (cordon list, pair scores)
   */
  public record NodeSpec(String name, List<GpuDevice> devices, Map<String, String> annotations) {
    public NodeSpec {
      devices = devices == null ? List.of() : List.copyOf(devices);
      annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }
  }

  private static Decision invalid(PodSpec pod, PodRequest.Invalid e) {
    return new Decision(pod, Decision.Outcome.INVALID_REQUEST, e.getMessage(), null, 0, null, null, null);
  }

  private static Decision notGpu(PodSpec pod) {
    return new Decision(pod, Decision.Outcome.NOT_GPU_POD, "", null, 0, null, null, null);
  }

  private Decision decide(PodSpec pod, Collection<String> candidates, boolean reserve) {
    PodRequest req;
    try {
      req = PodRequest.of(pod, config);
    } catch (PodRequest.Invalid e) {
      return invalid(pod, e);
    }
    if (!req.any) {
      return notGpu(pod);
    }
    if (reserve && pod.uid().isEmpty()) {
      throw new IllegalArgumentException("pod " + pod.ref() + " needs a uid to be scheduled");
    }
    Lock l = reserve ? lock.writeLock() : lock.readLock();
    l.lock();
    try {
      PodEntry own = pod.uid().isEmpty() ? null : pods.get(pod.uid());
      if (reserve && own != null) {
        unbook(own);
        own = null;
      }
      if (reserve) {
        fragmentation.observe(req);
      }
      String[] names = candidates == null
          ? nodes.sortedNames()
          : candidates.toArray(new String[0]);
      NodeState[] states = new NodeState[names.length];
      float[] scores = new float[names.length];
      for (int i = 0; i < names.length; i++) {
        int slot = nodes.slot(names[i]);
        if (slot >= 0) {
          states[i] = nodes.state(slot);
          scores[i] = nodes.score(slot);
          if (own != null && own.node().equals(names[i])) {
            states[i] = states[i].minus(own);
            scores[i] = states[i].score;
          }
        }
      }
      return conclude(pod, req, names, states, scores, quotas.view(pod.namespace(), own), reserve);
    } finally {
      l.unlock();
    }
  }

  /** Chooses among the node versions and, when {@code reserve}, books the result (caller holds the write lock). */
  private Decision conclude(PodSpec pod, PodRequest req, String[] names, NodeState[] states, float[] scores,
      NodeFit.QuotaView quota, boolean reserve) {
    Map<Integer, NodeFit.Result> known = new HashMap<>();
    int chosen = choose(names, states, scores, req, quota, known);
    Evaluation ev = new Evaluation(names, states, req, quota, config.strictUpstream(), known);
    if (chosen < 0) {
      return new Decision(pod, Decision.Outcome.UNSCHEDULABLE, "", null, 0, null, null, ev);
    }
    NodeFit.Result r = known.get(chosen);
    if (reserve) {
      book(PodEntry.of(new PodAllocation(pod.uid(), pod.namespace(), pod.name(), names[chosen], r.devices, r.mig,
          req.numInit, false)));
    }
    return new Decision(pod, Decision.Outcome.SCHEDULED, "", names[chosen], r.score, r.devices, r.mig, ev);
  }

  /**
   * Index of the best fitting candidate, or -1. The best candidate that passes the prefilter is
   * fully evaluated; only if it does not fit are the others evaluated, best first, until one fits.
   * This gives the same answer as evaluating every candidate.
   */
  private int choose(String[] names, NodeState[] states, float[] scores, PodRequest req, NodeFit.QuotaView quota,
      Map<Integer, NodeFit.Result> known) {
    if (!Prefilter.quotaMayFit(req, quota)) {
      return -1;
    }
    boolean strict = config.strictUpstream();
    boolean spread = req.nodeSpread;
    if (FragmentationPolicy.applies(req, config)) {
      return fragmentation.choose(names, states, req, quota, strict, known,
          (a, b) -> better(scores, names, spread, a, b) ? -1 : better(scores, names, spread, b, a) ? 1 : 0);
    }
    int best = -1;
    for (int i = 0; i < names.length; i++) {
      if (states[i] != null && (best < 0 || better(scores, names, spread, i, best))
          && Prefilter.mayFit(states[i], req, strict)) {
        best = i;
      }
    }
    if (best < 0) {
      return -1;
    }
    NodeFit.Result first = NodeFit.evaluate(states[best], req, quota, strict, null);
    known.put(best, first);
    if (first.fits) {
      return best;
    }
    int[] idx = new int[names.length];
    int k = 0;
    for (int i = 0; i < names.length; i++) {
      if (i != best && states[i] != null && Prefilter.mayFit(states[i], req, strict)) {
        idx[k++] = i;
      }
    }
    Integer[] rest = new Integer[k];
    for (int j = 0; j < k; j++) {
      rest[j] = idx[j];
    }
    Arrays.sort(rest, (a, b) -> better(scores, names, spread, a, b) ? -1 : better(scores, names, spread, b, a) ? 1 : 0);
    for (int i : rest) {
      NodeFit.Result r = NodeFit.evaluate(states[i], req, quota, strict, null);
      known.put(i, r);
      if (r.fits) {
        return i;
      }
    }
    return -1;
  }

  /** Node order of scheduler.md §5.11 with the documented tie-break: smaller node name first. */
  private static boolean better(float[] scores, String[] names, boolean spread, int a, int b) {
    float sa = scores[a];
    float sb = scores[b];
    if (sa != sb) {
      return spread ? sa < sb : sa > sb;
    }
    return names[a].compareTo(names[b]) < 0;
  }

  /**
   * The admission webhook's check (scheduler.md §7) of a pod after mutation: its GPU quantities must
   * be well-formed, and its totals — max(Σ regular containers {@code gpumem×gpu}, max init container
   * {@code gpumem×gpu}), same for cores; percentage-only memory counts 0 — must fit the namespace quota.
   */
  public Admission admit(PodSpec pod) {
    PodRequest req;
    try {
      req = PodRequest.of(pod, config);
    } catch (PodRequest.Invalid e) {
      return new Admission(Admission.Verdict.INVALID_REQUEST, e.getMessage(), 0, 0);
    }
    long[] totals = req.admissionTotals();
    if (totals[0] == 0 && totals[1] == 0) {
      return new Admission(Admission.Verdict.ALLOW, "", 0, 0);
    }
    Lock r = lock.readLock();
    r.lock();
    NodeFit.QuotaView q;
    try {
      q = quotas.view(pod.namespace(), null);
    } finally {
      r.unlock();
    }
    if (q.fits(totals[0], totals[1])) {
      return new Admission(Admission.Verdict.ALLOW, "", totals[0], totals[1]);
    }
    StringBuilder msg = new StringBuilder("exceeding resource quota of namespace ").append(pod.namespace()).append(':');
    if (q.memSet() && q.memUsed() + totals[0] > q.memLimit()) {
      msg.append(' ').append(config.resourceNames().memory()).append(" used ").append(q.memUsed()).append(" + requested ")
          .append(totals[0]).append(" > limit ").append(q.memLimit());
    }
    if (q.coreSet() && q.coreUsed() + totals[1] > q.coreLimit()) {
      msg.append(' ').append(config.resourceNames().cores()).append(" used ").append(q.coreUsed())
          .append(" + requested ").append(totals[1]).append(" > limit ").append(q.coreLimit());
    }
    return new Admission(Admission.Verdict.EXCEEDS_QUOTA, msg.toString(), totals[0], totals[1]);
  }

  /** A consistent copy of the ledger's contents (see {@link ClusterUsage}). */
  public ClusterUsage usage() {
    Lock r = lock.readLock();
    r.lock();
    try {
      List<ClusterUsage.NodeUsage> nodeList = new ArrayList<>();
      List<NodeState> all = nodes.values();
      all.sort(java.util.Comparator.comparing(NodeState::name));
      for (NodeState s : all) {
        List<ClusterUsage.GpuUsage> gpus = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
          gpus.add(new ClusterUsage.GpuUsage(s.reg.devices[i], s.healthy[i], s.reg.cordoned[i], s.used[i],
              s.usedMem[i], s.usedCores[i], s.instances.get(i)));
        }
        nodeList.add(new ClusterUsage.NodeUsage(s.name(), s.score, gpus));
      }
      List<ClusterUsage.PodUsage> podList = new ArrayList<>();
      for (PodEntry e : new TreeMap<>(pods).values()) {
        podList.add(new ClusterUsage.PodUsage(e.uid(), e.namespace(), e.name(), e.node(), e.devices()));
      }
      return new ClusterUsage(nodeList, podList, quotas.usage());
    } finally {
      r.unlock();
    }
  }
}
