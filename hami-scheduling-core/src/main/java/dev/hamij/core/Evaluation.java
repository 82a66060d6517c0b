package dev.hamij.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a decision was taken on (candidate names, the node versions it read, the pod's request and
 * quota view) so its per-node results and per-GPU notes can be computed later, exactly as the
 * decision saw them. Immutable after construction.
 */
final class Evaluation {
  static final String NODE_UNREGISTERED = "node unregistered";

  private final String[] names;
  private final NodeState[] states;
  private final PodRequest pod;
  private final NodeFit.QuotaView quota;
  private final boolean strict;
  private final Map<Integer, NodeFit.Result> known;

  Evaluation(String[] names, NodeState[] states, PodRequest pod, NodeFit.QuotaView quota, boolean strict,
      Map<Integer, NodeFit.Result> known) {
    this.names = names;
    this.states = states;
    this.pod = pod;
    this.quota = quota;
    this.strict = strict;
    this.known = Map.copyOf(known);
  }

  List<Decision.NodeResult> allResults() {
    List<Decision.NodeResult> out = new ArrayList<>(names.length);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < names.length; i++) {
      if (!seen.add(names[i])) {
        continue;
      }
      if (states[i] == null) {
        out.add(new Decision.NodeResult(names[i], false, 0, NODE_UNREGISTERED));
        continue;
      }
      NodeFit.Result r = known.containsKey(i) ? known.get(i) : NodeFit.evaluate(states[i], pod, quota, strict, null);
      out.add(new Decision.NodeResult(names[i], r.fits, r.fits ? r.score : 0, r.fits ? "" : r.reason));
    }
    return List.copyOf(out);
  }

  List<Decision.GpuNote> explain(String node) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(node) && states[i] != null) {
        List<Decision.GpuNote> notes = new ArrayList<>();
        NodeFit.evaluate(states[i], pod, quota, strict, notes);
        return List.copyOf(notes);
      }
    }
    return List.of();
  }
}
