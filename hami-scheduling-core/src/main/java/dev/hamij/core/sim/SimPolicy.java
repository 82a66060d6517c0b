package dev.hamij.core.sim;

import dev.hamij.core.SchedulerConfig;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A scheduling policy to simulate, written as a short spec:
 * <ul>
 *   <li>{@code binpack}, {@code spread}: HAMi's node policy with the same GPU policy;</li>
 *   <li>{@code fragmentation}: the fragmentation-aware node policy ({@link SchedulerConfig#FRAGMENTATION})
 *       with binpack GPUs;</li>
 *   <li>{@code hami-default}: HAMi's defaults, binpack nodes and spread GPUs;</li>
 *   <li>{@code NODE/GPU}: any node policy with any GPU policy or comma chain, e.g. {@code binpack/numa,binpack},
 *       {@code spread/topology-aware}, {@code binpack/mutex};</li>
 *   <li>{@code ref:random-fit}, {@code ref:best-fit}, {@code ref:fgd}: the FGD paper's reference
 *       policies, implemented in the simulator only (not by the scheduler) to calibrate the harness;
 *       {@code ref:fgd-gpu}: FGD with the CPU dimension left out of fragmentation (an ablation that
 *       sees what the scheduler's own {@code fragmentation} policy can see);</li>
 * </ul>
 * optionally followed by {@code @mig} or {@code @hami-core} to move every GPU into that pool
 * ({@link SimCluster#withPool}). Immutable.
 *
 * @param spec the spec as written
 * @param reference the reference policy, or {@code null} for the real scheduler
 * @param nodePolicy node policy given to the scheduler (ignored by reference policies)
 * @param gpuPolicy GPU policy given to the scheduler (ignored by reference policies)
 * @param pool GPU pool override
 */
public record SimPolicy(String spec, Reference reference, String nodePolicy, String gpuPolicy, SimCluster.Pool pool) {

  /** Policies of the FGD paper that exist only in the simulator. */
  public enum Reference {
    /** A uniformly random feasible node and a random fitting GPU. */
    RANDOM_FIT,
    /** The node left with the least combined CPU and GPU, the tightest fitting GPU. */
    BEST_FIT,
    /** Fragmentation Gradient Descent: the placement that raises the node's fragmentation least. */
    FGD,
    /** FGD with fragmentation measured on GPUs only (CPU never makes a request unplaceable). */
    FGD_GPU_ONLY
  }

  private static final Set<String> NODE_POLICIES =
      Set.of(SchedulerConfig.BINPACK, SchedulerConfig.SPREAD, SchedulerConfig.FRAGMENTATION);
  private static final Set<String> GPU_TOKENS = Set.of("binpack", "spread", "numa", "topology-aware", "mutex");

  /**
   * Parses a policy spec.
   *
   * @throws IllegalArgumentException naming the spec and the accepted forms
   */
  public static SimPolicy parse(String spec) {
    String s = spec == null ? "" : spec.trim();
    SimCluster.Pool pool = SimCluster.Pool.AS_DECLARED;
    int at = s.lastIndexOf('@');
    if (at >= 0) {
      String p = s.substring(at + 1).toLowerCase(Locale.ROOT);
      pool = switch (p) {
        case "mig" -> SimCluster.Pool.MIG;
        case "hami-core" -> SimCluster.Pool.HAMI_CORE;
        default -> throw bad(spec, "pool \"" + p + "\" is not mig or hami-core");
      };
      s = s.substring(0, at);
    }
    if (s.startsWith("ref:")) {
      Reference r = switch (s.substring(4)) {
        case "random-fit" -> Reference.RANDOM_FIT;
        case "best-fit" -> Reference.BEST_FIT;
        case "fgd" -> Reference.FGD;
        case "fgd-gpu" -> Reference.FGD_GPU_ONLY;
        default -> throw bad(spec, "reference policy \"" + s.substring(4)
            + "\" is not random-fit, best-fit, fgd or fgd-gpu");
      };
      return new SimPolicy(spec.trim(), r, "", "", pool);
    }
    String node;
    String gpu;
    switch (s) {
      case "binpack", "spread" -> {
        node = s;
        gpu = s;
      }
      case "fragmentation" -> {
        node = SchedulerConfig.FRAGMENTATION;
        gpu = SchedulerConfig.BINPACK;
      }
      case "hami-default" -> {
        node = SchedulerConfig.BINPACK;
        gpu = SchedulerConfig.SPREAD;
      }
      default -> {
        int slash = s.indexOf('/');
        if (slash < 0) {
          throw bad(spec, "unknown policy \"" + s + "\"");
        }
        node = s.substring(0, slash).trim();
        gpu = s.substring(slash + 1).trim();
        if (!NODE_POLICIES.contains(node)) {
          throw bad(spec, "node policy \"" + node + "\" is not one of " + List.copyOf(NODE_POLICIES.stream().sorted().toList()));
        }
        for (String token : gpu.split(",")) {
          if (!GPU_TOKENS.contains(token.trim())) {
            throw bad(spec, "GPU policy token \"" + token.trim() + "\" is not one of "
                + GPU_TOKENS.stream().sorted().toList());
          }
        }
      }
    }
    return new SimPolicy(spec.trim(), null, node, gpu, pool);
  }

  private static IllegalArgumentException bad(String spec, String why) {
    return new IllegalArgumentException("policy \"" + spec + "\": " + why + "; expected binpack, spread, fragmentation,"
        + " hami-default, NODE/GPU (e.g. binpack/numa,binpack), ref:random-fit, ref:best-fit, ref:fgd or ref:fgd-gpu,"
        + " optionally followed by @mig or @hami-core");
  }

  /** The scheduler configuration this policy runs under, starting from {@code base}. */
  public SchedulerConfig config(SchedulerConfig base) {
    return reference != null ? base : base.toBuilder().nodePolicy(nodePolicy).gpuPolicy(gpuPolicy).build();
  }
}
