package dev.hamij.core.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What one simulation run measured. Everything except {@link #latency()} is a deterministic function
 * of the cluster, the workload, the policy and the options; {@link #withoutLatency()} gives the part
 * two runs with the same inputs agree on. Percentages are of the cluster's GPU capacity (one GPU = 100%
 * / number of GPUs) unless stated otherwise. "Allocation" is the paper's measure: the GPU demand of the
 * pods holding resources (see {@link GpuDemand}), whatever the GPUs they got. Immutable.
 *
 * @param policy the policy spec
 * @param seed the run's seed
 * @param tieRule how ties between equally good nodes were broken
 * @param totals counts and end-of-run values
 * @param samples the run over time, at most {@link Simulation.Options#maxSamples()} evenly spaced steps
 *     plus the last one
 * @param allocationByArrived allocation (GPU demand of the pods holding resources, %) per arrived-workload bucket (index = arrived % of
 *     capacity, rounded); an empty bucket takes the mean of its neighbours, else {@code null}
 * @param fragmentationByArrived the paper's fragmentation F(M) (% of capacity) per bucket, same rules
 * @param failureReasons for pods that could not be placed: reason → pods affected (a pod counts once per
 *     distinct reason any node gave), sorted by reason
 * @param failedByClass pods given up or still pending at the end, by class ({@code cpu-only},
 *     {@code fractional}, {@code 1-gpu}, {@code 2-gpu}, …, {@code multi-container})
 * @param mig MIG instances created and destroyed over the run, and the layouts at the last arrival
 * @param heat per node and GPU, the allocated share at the last arrival
 * @param latency decision latency of the scheduler (not deterministic)
 */
public record SimResult(String policy, long seed, String tieRule, Totals totals, List<Sample> samples,
    List<Double> allocationByArrived, List<Double> fragmentationByArrived, Map<String, Long> failureReasons,
    Map<String, Long> failedByClass, Mig mig, List<NodeHeat> heat, Latency latency) {

  public SimResult {
    samples = List.copyOf(samples);
    allocationByArrived = Collections.unmodifiableList(new ArrayList<>(allocationByArrived));
    fragmentationByArrived = Collections.unmodifiableList(new ArrayList<>(fragmentationByArrived));
    failureReasons = Map.copyOf(failureReasons);
    failedByClass = Map.copyOf(failedByClass);
    heat = List.copyOf(heat);
  }

  /** This result with an empty latency, for comparing runs. */
  public SimResult withoutLatency() {
    return new SimResult(policy, seed, tieRule, totals, samples, allocationByArrived, fragmentationByArrived,
        failureReasons, failedByClass, mig, heat, Latency.NONE);
  }

  /** Allocation (%) at the arrived-workload bucket {@code percent}, or NaN when the run did not reach it. */
  public double allocationAt(int percent) {
    Double v = percent >= 0 && percent < allocationByArrived.size() ? allocationByArrived.get(percent) : null;
    return v == null ? Double.NaN : v;
  }

  /**
   * Counts over the whole run, and the cluster at the moment the last pod arrived (after it was
   * offered), which for a workload without departures is its end state.
   *
   * @param pods pods in the workload
   * @param placed pods placed at least once
   * @param failed pods given up (no queue, or an invalid request)
   * @param pendingAtEnd pods still waiting when nothing was left to happen (queue mode)
   * @param completed pods that ran to their end
   * @param gpus GPUs in the cluster
   * @param capacityMilli GPU capacity in milli-GPU (1000 per GPU)
   * @param arrivedMilli total GPU demand of all arrived pods, placed or not
   * @param meanAllocatedPct allocation averaged over time from the first to the last arrival (over
   *     arrivals when they all come at once)
   * @param peakAllocatedPct highest allocation
   * @param meanWaitMillis mean time from arrival to placement of the placed pods
   * @param maxWaitMillis longest time from arrival to placement
   * @param atLastArrival the cluster when the last pod had arrived
   * @param steps events processed (arrivals, retry rounds and departures)
   * @param lastArrivalMillis simulated time of the last arrival
   * @param endMillis simulated time of the last event
   */
  public record Totals(long pods, long placed, long failed, long pendingAtEnd, long completed, int gpus,
      long capacityMilli, long arrivedMilli, double meanAllocatedPct, double peakAllocatedPct, double meanWaitMillis,
      long maxWaitMillis, Snapshot atLastArrival, long steps, long lastArrivalMillis, long endMillis) {}

  /**
   * The cluster at one moment.
   *
   * @param running pods holding resources
   * @param allocatedPct allocation: GPU demand of the pods holding resources, % of capacity
   * @param bookedPct booked GPU share: per GPU the larger of its booked memory and cores shares, summed,
   *     % of capacity (more than the allocation when, for example, MIG rounds a request up)
   * @param memoryPct GPU memory booked, % of all GPU memory
   * @param coresPct GPU cores booked, % of all GPU cores
   * @param gpusFull GPUs allocated completely
   * @param gpusShared GPUs partly allocated
   * @param fragmentationPct F(M), % of capacity
   * @param fragmentationRatePct F(M), % of the free GPU share
   */
  public record Snapshot(long running, double allocatedPct, double bookedPct, double memoryPct, double coresPct,
      int gpusFull, int gpusShared, double fragmentationPct, double fragmentationRatePct) {}

  /**
   * The cluster after one step.
   *
   * @param step step index (0-based)
   * @param timeMillis simulated time
   * @param arrivedPct GPU demand arrived so far, % of capacity
   * @param allocatedPct allocation: GPU demand of the pods holding resources, % of capacity
   * @param memoryPct GPU memory booked, % of all GPU memory
   * @param coresPct GPU cores booked, % of all GPU cores
   * @param pending pods waiting
   * @param running pods holding resources
   * @param failed pods given up so far
   * @param fragmentationPct F(M), % of capacity
   */
  public record Sample(long step, long timeMillis, double arrivedPct, double allocatedPct, double memoryPct,
      double coresPct, int pending, int running, long failed, double fragmentationPct) {}

  /**
   * MIG activity.
   *
   * @param created instances created
   * @param destroyed instances destroyed
   * @param relayouts instance creations and destructions on a GPU that kept other instances (the GPU's
   *     layout changed under running pods)
   * @param layouts MIG GPUs at the last arrival by layout ({@code 3g.20gb + 2g.10gb}, or {@code (empty)})
   */
  public record Mig(long created, long destroyed, long relayouts, Map<String, Long> layouts) {
    public Mig {
      layouts = Map.copyOf(layouts);
    }
  }

  /**
   * One node's GPUs at the last arrival.
   *
   * @param node node name
   * @param gpus its GPUs in registration order
   */
  public record NodeHeat(String node, List<GpuHeat> gpus) {
    public NodeHeat {
      gpus = List.copyOf(gpus);
    }
  }

  /**
   * One GPU at the last arrival.
   *
   * @param type registered type
   * @param mig in MIG mode
   * @param share allocated share in [0, 1]
   */
  public record GpuHeat(String type, boolean mig, double share) {}

  /**
   * Decision latency of {@code GpuScheduler.schedule} (or of the reference policy), in nanoseconds.
   *
   * @param decisions decisions timed
   * @param p50Nanos median
   * @param p99Nanos 99th percentile
   * @param maxNanos slowest
   */
  public record Latency(long decisions, long p50Nanos, long p99Nanos, long maxNanos) {
    /** No measurement. */
    public static final Latency NONE = new Latency(0, 0, 0, 0);
  }
}
