package dev.hamij.core;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDeviceRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Node policy {@value SchedulerConfig#FRAGMENTATION}: among the fitting candidates, choose the node
 * whose fragmentation (see {@link WorkloadMix}) grows least when the pod is placed there the way the
 * fit would place it (GPUs picked by the pod's GPU policy), in the spirit of FGD (Weng et al., USENIX
 * ATC '23). Ties go to the binpack order with its name tie-break. GPU-only: CPU is kube-scheduler's.
 *
 * <p>The expected mix is learned from the requests this scheduler has scheduled: each container's
 * per-GPU request is one observation; the most frequent shapes covering 95% of observations form the
 * mix. With no observation yet every delta is 0 and the choice is plain binpack. Thread-safe.
 */
final class FragmentationPolicy {
  /** Share of observations the mix keeps (the paper's choice). */
  static final double COVERAGE = 0.95;
  /** Distinct shapes kept before old counts are halved (bounds memory under arbitrary request sizes). */
  static final int MAX_SHAPES = 4096;

  private final Map<WorkloadMix.Shape, Long> counts = new HashMap<>();
  private WorkloadMix mix = WorkloadMix.NONE;
  private boolean dirty;

  /** Whether the pod's node policy (annotation, else the configured default) is this policy. */
  static boolean applies(PodRequest req, SchedulerConfig config) {
    String policy = req.pod.annotations().getOrDefault(Annotations.NODE_SCHEDULER_POLICY, config.nodePolicy());
    return SchedulerConfig.FRAGMENTATION.equals(policy.trim());
  }

  /** Records the pod's GPU requests as part of the expected mix. */
  synchronized void observe(PodRequest req) {
    for (ContainerDeviceRequest r : req.containers) {
      if (r != null) {
        counts.merge(shape(r), 1L, Long::sum);
        dirty = true;
      }
    }
    if (counts.size() > MAX_SHAPES) {
      counts.replaceAll((k, v) -> v / 2);
      counts.values().removeIf(v -> v == 0);
    }
  }

  /** The current expected mix. */
  synchronized WorkloadMix mix() {
    if (dirty) {
      mix = WorkloadMix.of(counts, COVERAGE);
      dirty = false;
    }
    return mix;
  }

  static WorkloadMix.Shape shape(ContainerDeviceRequest r) {
    int pct = r.memreq() == 0 && r.usesPercentage() ? r.mempercentage() : 0;
    return new WorkloadMix.Shape(r.nums(), r.memreq(), pct, r.coresreq(), 0);
  }

  /** A node's GPUs as the fragmentation measure sees them. */
  static List<WorkloadMix.Gpu> gpus(NodeState s) {
    List<WorkloadMix.Gpu> out = new ArrayList<>(s.size());
    for (int d = 0; d < s.size(); d++) {
      var dev = s.reg.devices[d];
      boolean available = s.healthy[d] && !s.reg.cordoned[d] && s.reg.nvidia[d];
      out.add(new WorkloadMix.Gpu(available, dev.count(), dev.devmem(), dev.devcore(), s.used[d], s.usedMem[d],
          s.usedCores[d], s.reg.mig[d] ? s.migLargest[d] : Integer.MAX_VALUE));
    }
    return out;
  }

  /** Tie-break between two candidate indexes: negative when {@code a} goes first. */
  interface Order {
    int compare(int a, int b);
  }

  /**
   * Index of the chosen candidate, or -1 when none fits. Every registered candidate that passes the
   * prefilter is fully evaluated (results land in {@code known}), since the fragmentation delta
   * depends on where the fit puts the pod.
   */
  int choose(String[] names, NodeState[] states, PodRequest req, NodeFit.QuotaView quota, boolean strict,
      Map<Integer, NodeFit.Result> known, Order order) {
    WorkloadMix m = mix();
    String uid = req.pod.uid().isEmpty() ? "fragmentation-probe" : req.pod.uid();
    int best = -1;
    double bestDelta = 0;
    for (int i = 0; i < names.length; i++) {
      if (states[i] == null || !Prefilter.mayFit(states[i], req, strict)) {
        continue;
      }
      NodeFit.Result r = NodeFit.evaluate(states[i], req, quota, strict, null);
      known.put(i, r);
      if (!r.fits) {
        continue;
      }
      double delta = 0;
      if (!m.isEmpty()) {
        NodeState after = states[i].plus(PodEntry.of(new PodAllocation(uid, req.pod.namespace(), req.pod.name(),
            names[i], r.devices, r.mig, req.numInit, false)));
        delta = m.fragmentation(gpus(after), Long.MAX_VALUE) - m.fragmentation(gpus(states[i]), Long.MAX_VALUE);
        delta = Math.rint(delta * 1e9) / 1e9;
      }
      if (best < 0 || delta < bestDelta || (delta == bestDelta && order.compare(i, best) < 0)) {
        best = i;
        bestDelta = delta;
      }
    }
    return best;
  }
}
