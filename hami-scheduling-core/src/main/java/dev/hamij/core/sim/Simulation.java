package dev.hamij.core.sim;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.PodDevices;
import dev.hamij.core.ClusterUsage;
import dev.hamij.core.Decision;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.PodAllocation;
import dev.hamij.core.PodSpec;
import dev.hamij.core.SchedulerConfig;
import dev.hamij.core.WorkloadMix;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Replays a workload on a cluster through the real {@link GpuScheduler} (or a reference policy) and
 * measures the outcome. Each node is registered with its GPUs; each arriving pod is offered the nodes
 * with enough free CPU and memory (kube-scheduler's part) and placed where the scheduler decides;
 * a pod without GPU requests goes to the first such node in the run's node order; pods leave after
 * their duration and free what they held. Without a queue a pod that fits nowhere fails for good;
 * with one it waits and is retried, in arrival order, after every departure.
 *
 * <p>Guarantees: pure and single-threaded (no I/O, no threads, no clock except the optional latency
 * measurement); the same inputs and seed give the same {@link SimResult#withoutLatency()}; with
 * {@link Options#checkEvery()} &gt; 0 the run stops with an {@link IllegalStateException} the first
 * time the scheduler's ledger over-commits a GPU (slots, memory, cores, overlapping MIG instances),
 * a node's CPU or memory goes negative, or the ledger and the simulator's own account disagree.
 */
public final class Simulation {

  /** How ties between equally good nodes are broken. */
  public enum TieRule {
    /** The scheduler's own rule: the lexicographically smallest node name. */
    NAME,
    /** A fixed random node order drawn once per seed (the FGD paper's protocol). */
    SEEDED_ORDER
  }

  /**
   * Run options.
   *
   * @param seed seeds the node order ({@link TieRule#SEEDED_ORDER}) and Random-fit
   * @param tieRule how ties are broken
   * @param queue whether pods that fit nowhere wait and are retried after departures
   * @param checkEvery check the invariants every this many steps and at the end (0: never)
   * @param maxSamples how many evenly spaced steps {@link SimResult#samples()} keeps (at least 2)
   * @param reasons whether to collect per-node failure reasons (costs one fit per node per failure)
   * @param split slots of GPUs moved to the hami-core pool by a policy's {@code @hami-core}
   */
  public record Options(long seed, TieRule tieRule, boolean queue, int checkEvery, int maxSamples, boolean reasons,
      int split) {
    public Options {
      if (checkEvery < 0 || maxSamples < 2 || split < 1) {
        throw new IllegalArgumentException("checkEvery >= 0, maxSamples >= 2 and split >= 1 required");
      }
    }

    /** Seed 1, scheduler tie rule, queue on, no invariant checks, 600 samples, reasons on, split 10. */
    public static Options defaults() {
      return new Options(1, TieRule.NAME, true, 0, 600, true, 10);
    }

    public Options withSeed(long v) {
      return new Options(v, tieRule, queue, checkEvery, maxSamples, reasons, split);
    }

    public Options withTieRule(TieRule v) {
      return new Options(seed, v, queue, checkEvery, maxSamples, reasons, split);
    }

    public Options withQueue(boolean v) {
      return new Options(seed, tieRule, v, checkEvery, maxSamples, reasons, split);
    }

    public Options withCheckEvery(int v) {
      return new Options(seed, tieRule, queue, v, maxSamples, reasons, split);
    }

    public Options withMaxSamples(int v) {
      return new Options(seed, tieRule, queue, checkEvery, v, reasons, split);
    }

    public Options withReasons(boolean v) {
      return new Options(seed, tieRule, queue, checkEvery, maxSamples, v, split);
    }

    public Options withSplit(int v) {
      return new Options(seed, tieRule, queue, checkEvery, maxSamples, reasons, v);
    }
  }

  /** Receives progress while a run goes on (called on the running thread). */
  public interface Progress {
    /** Nothing reported. */
    Progress NONE = (done, total) -> { };

    /** {@code done} of {@code total} arrivals processed. */
    void update(long done, long total);
  }

  static final String NO_CPU_MEMORY = "Insufficient cpu or memory on every node";
  static final String REFERENCE_NO_FIT = "no node has the GPUs (reference policy)";

  private final SimCluster cluster;
  private final Workload workload;
  private final SchedulerConfig base;
  private final Options options;
  private final GpuDemand demand;
  private final WorkloadMix mix;

  private Simulation(SimCluster cluster, Workload workload, SchedulerConfig base, Options options) {
    this.cluster = cluster;
    this.workload = workload;
    this.base = base;
    this.options = options;
    this.demand = GpuDemand.of(cluster, base);
    Map<WorkloadMix.Shape, Long> counts = new HashMap<>();
    for (SimPod p : workload.pods()) {
      List<WorkloadMix.Shape> shapes;
      try {
        shapes = demand.shapes(p);
      } catch (IllegalArgumentException e) {
        continue;
      }
      WorkloadMix.Shape s = shapes.isEmpty() ? new WorkloadMix.Shape(0, 0, 0, 0, p.cpuMilli()) : shapes.get(0);
      counts.merge(s, 1L, Long::sum);
    }
    this.mix = WorkloadMix.of(counts, 0.95);
  }

  /**
   * A simulation of {@code workload} on {@code cluster}, each run's scheduler configured from {@code base}
   * with the run's policies. The fragmentation measure uses the workload's own mix (its most frequent
   * pod shapes covering 95% of pods, CPU included).
   */
  public static Simulation of(SimCluster cluster, Workload workload, SchedulerConfig base, Options options) {
    return new Simulation(cluster, workload, base, options);
  }

  /** The request mix the fragmentation measure (and {@code ref:fgd}) uses. */
  public WorkloadMix mix() {
    return mix;
  }

  /** How pods' GPU demand is measured on this cluster. */
  public GpuDemand demand() {
    return demand;
  }

  /** Runs one policy from a fresh scheduler. */
  public SimResult run(SimPolicy policy, Progress progress) {
    return new Run(policy, progress).execute();
  }

  /** One run's mutable state. */
  private final class Run {
    private final SimPolicy policy;
    private final Progress progress;
    private final ClusterState st;
    private final GpuScheduler sched;
    private final ReferencePolicy reference;
    private final Map<String, ClusterState.Placed> running = new HashMap<>();
    private final PriorityQueue<long[]> departures =
        new PriorityQueue<>(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
    private final List<String> departing = new ArrayList<>();
    private ArrayDeque<SimPod> pending = new ArrayDeque<>();
    private final Set<String> placedOnce = new HashSet<>();
    private final Set<String> reasoned = new HashSet<>();
    private final Set<String> permanent = new HashSet<>();
    private final Map<String, Long> reasons = new TreeMap<>();
    private final Map<String, Long> failedByClass = new TreeMap<>();
    private final Series series = new Series();
    private long[] latencies = new long[1024];
    private int latencyCount;
    private long now;
    private long waitTotal;
    private long waitMax;
    private SimResult.Snapshot atLastArrival;
    private List<SimResult.NodeHeat> heat = List.of();
    private Map<String, Long> lastLayouts = Map.of();
    private long firstArrivalMillis;
    private long lastArrivalMillis;
    private double allocatedArea;
    private double peakAllocated;
    private double lastAllocated;
    private long lastTime;
    private long arrivedMilli;
    private long failed;
    private long completed;
    private long step;

    Run(SimPolicy policy, Progress progress) {
      this.policy = policy;
      this.progress = progress;
      SimCluster c = cluster.withPool(policy.pool(), options.split());
      SimNode[] nodes = c.nodes().toArray(new SimNode[0]);
      Arrays.sort(nodes, Comparator.comparing(SimNode::name));
      String[] internal = new String[nodes.length];
      if (options.tieRule() == TieRule.SEEDED_ORDER) {
        SplittableRandom rng = new SplittableRandom(options.seed() ^ 0x2545F4914F6CDD1DL);
        for (int i = nodes.length - 1; i > 0; i--) {
          int j = rng.nextInt(i + 1);
          SimNode t = nodes[i];
          nodes[i] = nodes[j];
          nodes[j] = t;
        }
        int digits = Integer.toString(Math.max(1, nodes.length - 1)).length();
        for (int i = 0; i < nodes.length; i++) {
          internal[i] = String.format(Locale.ROOT, "r%0" + digits + "d-%s", i, nodes[i].name());
        }
      } else {
        for (int i = 0; i < nodes.length; i++) {
          internal[i] = nodes[i].name();
        }
      }
      st = new ClusterState(nodes, internal, mix);
      sched = GpuScheduler.create(policy.config(base));
      for (int i = 0; i < nodes.length; i++) {
        sched.upsertNode(internal[i], nodes[i].gpus(), nodes[i].annotations());
      }
      Map<String, String> rename = new HashMap<>();
      for (int i = 0; i < nodes.length; i++) {
        rename.put(nodes[i].name(), internal[i]);
      }
      for (SimCluster.Resident r : c.residents()) {
        PodAllocation a = r.allocation();
        PodAllocation moved = new PodAllocation(a.uid(), a.namespace(), a.name(), rename.get(a.node()), a.devices(),
            a.mig(), a.initContainerCount(), a.initReleased());
        if (!flatten(a.devices()).isEmpty()) {
          sched.upsertPod(moved);
        }
        SimPod pod = new SimPod(PodSpec.of(a.namespace(), a.name(), a.uid(), Map.of()), r.cpuMilli(), r.memoryMiB(), 0,
            SimPod.FOREVER);
        List<ContainerDevice> devices = flatten(a.devices());
        hold(new ClusterState.Placed(pod, st.byInternal.get(moved.node()), devices, a.mig(), bookedMilli(devices)));
      }
      reference = policy.reference() == null ? null
          : new ReferencePolicy(policy.reference(), st, demand, options.seed());
    }

    SimResult execute() {
      List<SimPod> arrivals = workload.pods();
      int n = arrivals.size();
      int ai = 0;
      long every = Math.max(1, n / 200);
      firstArrivalMillis = n == 0 ? 0 : arrivals.get(0).arrivalMillis();
      lastTime = firstArrivalMillis;
      while (ai < n || !departures.isEmpty()) {
        long ta = ai < n ? arrivals.get(ai).arrivalMillis() : Long.MAX_VALUE;
        long td = departures.isEmpty() ? Long.MAX_VALUE : departures.peek()[0];
        if (td <= ta) {
          now = td;
          while (!departures.isEmpty() && departures.peek()[0] == td) {
            depart(departing.get((int) departures.poll()[1]));
          }
          if (options.queue() && !pending.isEmpty()) {
            retryPending();
          }
        } else {
          now = ta;
          SimPod p = arrivals.get(ai++);
          arrivedMilli += demand.milli(p);
          if (!attempt(p, true)) {
            if (options.queue() && !permanentlyFailed(p)) {
              pending.add(p);
            }
          }
          if (ai % every == 0 || ai == n) {
            progress.update(ai, n);
          }
        }
        record();
        if (ai == n && atLastArrival == null && td > ta) {
          snapshot();
        }
      }
      for (SimPod p : pending) {
        failedByClass.merge(podClass(p), 1L, Long::sum);
      }
      if (options.checkEvery() > 0) {
        check("end of run");
      }
      return result();
    }

    private boolean permanentlyFailed(SimPod p) {
      return permanent.contains(p.spec().uid());
    }

    private void retryPending() {
      ArrayDeque<SimPod> still = new ArrayDeque<>();
      Set<List<?>> failedShapes = new HashSet<>();
      for (SimPod p : pending) {
        List<?> key = List.of(p.spec().annotations(), p.spec().containers(), p.cpuMilli(), p.memoryMiB());
        if (failedShapes.contains(key) || !attempt(p, false)) {
          failedShapes.add(key);
          still.add(p);
        }
      }
      pending = still;
    }

    /** Offers the pod to the policy; true when it was placed. */
    private boolean attempt(SimPod pod, boolean first) {
      List<String> names = new ArrayList<>();
      List<Integer> idx = new ArrayList<>();
      for (int i = 0; i < st.nodes.length; i++) {
        if (st.cpuFree[i] >= pod.cpuMilli() && st.memFree[i] >= pod.memoryMiB()) {
          names.add(st.internal[i]);
          idx.add(i);
        }
      }
      return reference == null ? attemptCore(pod, names, idx, first) : attemptReference(pod, idx, first);
    }

    private boolean attemptCore(SimPod pod, List<String> names, List<Integer> idx, boolean first) {
      long t0 = System.nanoTime();
      Decision d = sched.schedule(pod.spec(), names);
      latency(System.nanoTime() - t0);
      switch (d.outcome()) {
        case SCHEDULED -> {
          int node = st.byInternal.get(d.node().orElseThrow());
          place(pod, node, flatten(d.devices()), d.migAllocations());
          return true;
        }
        case NOT_GPU_POD -> {
          if (idx.isEmpty()) {
            return fail(pod, first, Set.of(NO_CPU_MEMORY), false);
          }
          place(pod, idx.get(0), List.of(), List.of());
          return true;
        }
        case INVALID_REQUEST -> {
          return fail(pod, first, Set.of("invalid request: " + d.error()), true);
        }
        default -> {
          if (idx.isEmpty()) {
            return fail(pod, first, Set.of(NO_CPU_MEMORY), false);
          }
          return fail(pod, first, first && options.reasons() ? reasonsOf(d) : Set.of(), false);
        }
      }
    }

    private boolean attemptReference(SimPod pod, List<Integer> idx, boolean first) {
      List<WorkloadMix.Shape> shapes;
      try {
        shapes = demand.shapes(pod);
      } catch (IllegalArgumentException e) {
        return fail(pod, first, Set.of("invalid request: " + e.getMessage()), true);
      }
      String unsupported = ReferencePolicy.unsupported(pod, shapes);
      if (unsupported != null) {
        return fail(pod, first, Set.of(unsupported), true);
      }
      WorkloadMix.Shape shape = shapes.isEmpty() ? null : shapes.get(0);
      long t0 = System.nanoTime();
      ReferencePolicy.Choice c = reference.place(pod, shape, idx);
      latency(System.nanoTime() - t0);
      if (c == null) {
        return fail(pod, first, Set.of(idx.isEmpty() ? NO_CPU_MEMORY : REFERENCE_NO_FIT), false);
      }
      List<ContainerDevice> devices = new ArrayList<>();
      for (int g : c.gpus()) {
        GpuDevice dev = st.dev[g];
        devices.add(ContainerDevice.nvidia(dev.id(), shape.memoryOn(dev.devmem()), Math.min(shape.cores(), 100)));
      }
      if (!devices.isEmpty()) {
        PodSpec s = pod.spec();
        sched.upsertPod(new PodAllocation(s.uid(), s.namespace(), s.name(), st.internal[c.node()],
            new PodDevices(List.of(devices)), List.of(), 0, false));
      }
      place(pod, c.node(), devices, List.of());
      return true;
    }

    private Set<String> reasonsOf(Decision d) {
      Set<String> out = new HashSet<>();
      for (String value : d.failedNodes().values()) {
        for (String part : value.split(", ")) {
          String r = part.trim();
          int space = r.indexOf(' ');
          if (space > 0 && r.substring(0, space).matches("\\d+/\\d+")) {
            r = r.substring(space + 1);
          }
          if (r.startsWith("AddResourceUsage failed")) {
            r = "MIG profile and placement allocation failed";
          }
          out.add(r);
        }
      }
      return out;
    }

    private boolean fail(SimPod pod, boolean first, Set<String> why, boolean forGood) {
      String uid = pod.spec().uid();
      if (reasoned.add(uid)) {
        for (String r : why) {
          reasons.merge(r, 1L, Long::sum);
        }
      }
      if (forGood) {
        permanent.add(uid);
      }
      if (first && (forGood || !options.queue())) {
        failed++;
        failedByClass.merge(podClass(pod), 1L, Long::sum);
      }
      return false;
    }

    private String podClass(SimPod pod) {
      List<WorkloadMix.Shape> shapes;
      try {
        shapes = demand.shapes(pod);
      } catch (IllegalArgumentException e) {
        return "invalid";
      }
      if (shapes.isEmpty()) {
        return "cpu-only";
      }
      if (shapes.size() > 1) {
        return "multi-container";
      }
      WorkloadMix.Shape s = shapes.get(0);
      return s.gpus() == 1 && demand.share(s) < 1 ? "fractional" : s.gpus() + "-gpu";
    }

    private void place(SimPod pod, int node, List<ContainerDevice> devices, List<MigAllocation> mig) {
      hold(new ClusterState.Placed(pod, node, devices, mig, demand.milli(pod)));
      if (placedOnce.add(pod.spec().uid())) {
        long wait = now - pod.arrivalMillis();
        waitTotal += wait;
        waitMax = Math.max(waitMax, wait);
      }
      if (pod.durationMillis() != SimPod.FOREVER) {
        long end = pod.durationMillis() > Long.MAX_VALUE - now ? Long.MAX_VALUE - 1 : now + pod.durationMillis();
        departures.add(new long[] {end, departing.size()});
        departing.add(pod.spec().uid());
      }
    }

    private void hold(ClusterState.Placed p) {
      st.apply(p, +1);
      running.put(p.pod().spec().uid(), p);
    }

    private void depart(String uid) {
      ClusterState.Placed p = running.remove(uid);
      if (!p.devices().isEmpty()) {
        sched.removePod(uid);
      }
      st.apply(p, -1);
      completed++;
    }

    private void latency(long nanos) {
      if (latencyCount == latencies.length) {
        latencies = Arrays.copyOf(latencies, latencyCount * 2);
      }
      latencies[latencyCount++] = nanos;
    }

    private void record() {
      double cap = Math.max(1, st.gpuCount());
      double allocated = 100.0 * st.demandRunning / (cap * 1000);
      if (atLastArrival == null && now > lastTime) {
        allocatedArea += lastAllocated * (now - lastTime);
      }
      lastTime = Math.max(lastTime, now);
      lastAllocated = allocated;
      peakAllocated = Math.max(peakAllocated, allocated);
      series.add(step, now, 100.0 * arrivedMilli / (cap * 1000), allocated,
          st.memCapacity == 0 ? 0 : 100.0 * st.memBooked / st.memCapacity,
          st.coreCapacity == 0 ? 0 : 100.0 * st.coresBooked / st.coreCapacity, pending.size(), running.size(), failed,
          100 * st.fragTotal / cap);
      step++;
      if (options.checkEvery() > 0 && step % options.checkEvery() == 0) {
        check("step " + (step - 1));
      }
    }

    private void check(String where) {
      List<String> errors = new ArrayList<>();
      ClusterUsage usage = sched.usage();
      int ledgerPods = 0;
      for (ClusterState.Placed p : running.values()) {
        ledgerPods += p.devices().isEmpty() ? 0 : 1;
      }
      if (usage.pods().size() != ledgerPods) {
        errors.add("the ledger holds " + usage.pods().size() + " pods, the simulator " + ledgerPods);
      }
      for (ClusterUsage.NodeUsage nu : usage.nodes()) {
        for (ClusterUsage.GpuUsage gu : nu.gpus()) {
          GpuDevice d = gu.device();
          int g = st.gpuByUuid.get(d.id());
          String at = "node " + nu.name() + " GPU " + d.id() + ": ";
          if (gu.used() > d.count() || gu.used() < 0 || gu.usedMemory() < 0 || gu.usedCores() < 0) {
            errors.add(at + gu.used() + " of " + d.count() + " slots");
          }
          if (!d.isMig() && (gu.usedMemory() > d.devmem() || gu.usedCores() > d.devcore())) {
            errors.add(at + gu.usedMemory() + " of " + d.devmem() + " MiB, " + gu.usedCores() + " of " + d.devcore()
                + "% cores");
          }
          List<ClusterUsage.MigInstance> inst = gu.migInstances();
          for (int a = 0; a < inst.size(); a++) {
            for (int b = a + 1; b < inst.size(); b++) {
              if (inst.get(a).allocation().placement().overlaps(inst.get(b).allocation().placement())) {
                errors.add(at + "overlapping MIG instances " + inst.get(a) + " and " + inst.get(b));
              }
            }
          }
          if (gu.usedMemory() != st.usedMem[g] || gu.usedCores() != st.usedCores[g] || gu.used() != st.usedSlots[g]) {
            errors.add(at + "ledger books " + gu.usedMemory() + " MiB/" + gu.usedCores() + "%/" + gu.used()
                + " slots, the simulator " + st.usedMem[g] + "/" + st.usedCores[g] + "/" + st.usedSlots[g]);
          }
        }
      }
      for (int i = 0; i < st.nodes.length; i++) {
        if (st.cpuFree[i] < 0 || st.memFree[i] < 0) {
          errors.add("node " + st.nodes[i].name() + ": CPU or memory over-committed");
        }
      }
      if (!errors.isEmpty()) {
        throw new IllegalStateException("policy " + policy.spec() + ", " + where + ": " + String.join("; ", errors));
      }
    }

    /** The cluster now: snapshot figures, heat map and MIG layouts. */
    private void snapshot() {
      int full = 0;
      int shared = 0;
      Map<String, Long> layouts = new TreeMap<>();
      List<SimResult.NodeHeat> heatMap = new ArrayList<>();
      Integer[] order = new Integer[st.nodes.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, Comparator.comparing(i -> st.nodes[i].name()));
      for (int i : order) {
        List<SimResult.GpuHeat> cells = new ArrayList<>();
        for (int g = st.gpuStart[i]; g < st.gpuStart[i + 1]; g++) {
          double s = st.shareOf(g);
          if (s >= 0.9995) {
            full++;
          } else if (s > 0) {
            shared++;
          }
          cells.add(new SimResult.GpuHeat(st.dev[g].type(), st.dev[g].isMig(), s));
          if (st.dev[g].isMig()) {
            layouts.merge(layout(st.migOn.get(g)), 1L, Long::sum);
          }
        }
        heatMap.add(new SimResult.NodeHeat(st.nodes[i].name(), cells));
      }
      double cap = Math.max(1, st.gpuCount());
      atLastArrival = new SimResult.Snapshot(running.size(), 100.0 * st.demandRunning / (cap * 1000),
          100 * st.bookedTotal / cap,
          st.memCapacity == 0 ? 0 : 100.0 * st.memBooked / st.memCapacity,
          st.coreCapacity == 0 ? 0 : 100.0 * st.coresBooked / st.coreCapacity, full, shared, 100 * st.fragTotal / cap,
          st.freeTotal <= 1e-9 ? 0 : 100 * st.fragTotal / st.freeTotal);
      heat = heatMap;
      lastLayouts = layouts;
      lastArrivalMillis = now;
    }

    private SimResult result() {
      if (atLastArrival == null) {
        snapshot();
      }
      int gpus = st.gpuCount();
      double span = lastArrivalMillis - firstArrivalMillis;
      double mean = span > 0 ? allocatedArea / span : series.meanAllocated();
      SimResult.Totals totals = new SimResult.Totals(workload.pods().size(), placedOnce.size(), failed, pending.size(),
          completed, gpus, gpus * 1000L, arrivedMilli, mean, peakAllocated,
          placedOnce.isEmpty() ? 0 : (double) waitTotal / placedOnce.size(), waitMax, atLastArrival, step,
          lastArrivalMillis, now);
      long[] lat = Arrays.copyOf(latencies, latencyCount);
      Arrays.sort(lat);
      SimResult.Latency latency = lat.length == 0 ? SimResult.Latency.NONE
          : new SimResult.Latency(lat.length, lat[(lat.length - 1) / 2], lat[(int) Math.ceil(0.99 * lat.length) - 1],
              lat[lat.length - 1]);
      return new SimResult(policy.spec(), options.seed(), options.tieRule().name(), totals,
          series.samples(options.maxSamples()), series.byArrived(Series.ALLOCATED), series.byArrived(Series.FRAGMENTATION),
          reasons, failedByClass, new SimResult.Mig(st.migCreated, st.migDestroyed, st.migRelayouts, lastLayouts), heat,
          latency);
    }
    /** Milli-GPU that these bookings take: per GPU the larger of its memory and cores shares. */
    private long bookedMilli(List<ContainerDevice> devices) {
      double total = 0;
      for (ContainerDevice d : devices) {
        GpuDevice g = st.dev[st.gpuByUuid.get(d.uuid())];
        total += Math.min(1, Math.max(g.devmem() > 0 ? (double) d.usedmem() / g.devmem() : 0,
            g.devcore() > 0 ? (double) d.usedcores() / g.devcore() : 0));
      }
      return Math.round(total * 1000);
    }
  }

  static List<ContainerDevice> flatten(PodDevices devices) {
    List<ContainerDevice> out = new ArrayList<>();
    for (List<ContainerDevice> c : devices.containers()) {
      out.addAll(c);
    }
    return out;
  }

  static String layout(List<MigAllocation> instances) {
    if (instances.isEmpty()) {
      return "(empty)";
    }
    List<MigAllocation> sorted = new ArrayList<>(instances);
    sorted.sort(Comparator.comparingInt(a -> a.placement().start()));
    List<String> names = new ArrayList<>();
    for (MigAllocation a : sorted) {
      names.add(a.profile());
    }
    return String.join(" + ", names);
  }
}
