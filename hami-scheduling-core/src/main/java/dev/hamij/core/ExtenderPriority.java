package dev.hamij.core;

import dev.hamij.api.Annotations;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * HAMi's node scores on kube-scheduler's extender priority scale (0–10, higher preferred), for an
 * extender's {@code prioritize} verb. A node score (scheduler.md §5.11) lies in [0, 30]; under
 * {@code binpack} a fuller node is preferred ({@code round(score / 3)}), under {@code spread} an emptier
 * one ({@code round((30 - score) / 3)}). Nodes the pod does not fit on get 0.
 */
public final class ExtenderPriority {
  /** kube-scheduler's {@code MaxExtenderPriority}. */
  public static final int MAX = 10;
  private static final float MAX_NODE_SCORE = 30f;

  private ExtenderPriority() {}

  /**
   * One priority per node of {@code decision.nodeResults()}, in candidate order. The node policy is
   * the pod's {@code hami.io/node-scheduler-policy}, else {@code defaultNodePolicy}; anything but
   * {@code spread} counts as binpack.
   */
  public static Map<String, Integer> of(Decision decision, String defaultNodePolicy) {
    String policy = decision.pod().annotations().getOrDefault(Annotations.NODE_SCHEDULER_POLICY, defaultNodePolicy);
    boolean spread = SchedulerConfig.SPREAD.equals(policy == null ? "" : policy.trim());
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Decision.NodeResult r : decision.nodeResults()) {
      int p = 0;
      if (r.fits()) {
        float s = Math.max(0f, Math.min(MAX_NODE_SCORE, r.score()));
        p = Math.round((spread ? MAX_NODE_SCORE - s : s) * MAX / MAX_NODE_SCORE);
      }
      out.put(r.node(), p);
    }
    return out;
  }
}
