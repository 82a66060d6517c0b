package dev.hamij.core;

import dev.hamij.api.Annotations;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.PodDevices;
import dev.hamij.api.PodDevicesCodec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of {@link GpuScheduler#filter} or {@link GpuScheduler#schedule} for one pod: the chosen
 * node and GPU slices, or why nothing fits. Immutable from the caller's point of view.
 *
 * <p>The per-node results ({@link #nodeResults()}, {@link #failedNodes()}, {@link #explain(String)})
 * are computed on first use from the same cluster snapshot the decision was taken on, so they always
 * agree with the choice; computing them costs one full fit per candidate node.
 */
public final class Decision {

  /** What kind of answer this is. */
  public enum Outcome {
    /** A node fits; {@link #node()}, {@link #devices()} and {@link #annotations(Instant)} are set. */
    SCHEDULED,
    /** The pod asks for GPUs but no candidate node fits; see {@link #failedNodes()}. */
    UNSCHEDULABLE,
    /** No container asks for a HAMi resource: the caller passes all candidates through unchanged. */
    NOT_GPU_POD,
    /** The pod's GPU request or annotations are invalid; {@link #error()} names the field. */
    INVALID_REQUEST
  }

  /**
   * Result of one candidate node.
   *
   * @param node node name
   * @param fits whether the pod fits on the node
   * @param score node score (scheduler.md §5.11) when it fits, 0 otherwise
   * @param reason HAMi reason text when it does not fit (e.g. {@code 2/4 CardInsufficientMemory}), empty otherwise
   */
  public record NodeResult(String node, boolean fits, float score, String reason) {}

  /**
   * What happened to one GPU while fitting one container (only for {@link #explain(String)}).
   *
   * @param containerIndex container index in init-first order
   * @param gpu GPU UUID
   * @param verdict {@code chosen} or the HAMi reason identifier, e.g. {@code CardInsufficientMemory}
   * @param detail human-readable detail, e.g. {@code needs 8000 MiB, 3000 MiB free}
   */
  public record GpuNote(int containerIndex, String gpu, String verdict, String detail) {}

  private final PodSpec pod;
  private final Outcome outcome;
  private final String error;
  private final String node;
  private final float score;
  private final PodDevices devices;
  private final List<MigAllocation> migAllocations;
  private final Evaluation evaluation;
  private List<NodeResult> results;

  Decision(PodSpec pod, Outcome outcome, String error, String node, float score, PodDevices devices,
      List<MigAllocation> migAllocations, Evaluation evaluation) {
    this.pod = pod;
    this.outcome = outcome;
    this.error = error == null ? "" : error;
    this.node = node;
    this.score = score;
    this.devices = devices == null ? PodDevices.empty() : devices;
    this.migAllocations = migAllocations == null ? List.of() : List.copyOf(migAllocations);
    this.evaluation = evaluation;
  }

  /** The pod this decision is about. */
  public PodSpec pod() {
    return pod;
  }

  public Outcome outcome() {
    return outcome;
  }

  /** True when a node was chosen. */
  public boolean scheduled() {
    return outcome == Outcome.SCHEDULED;
  }

  /** The reason of an {@link Outcome#INVALID_REQUEST}; empty otherwise. */
  public String error() {
    return error;
  }

  /** The chosen node, when {@link #scheduled()}. */
  public Optional<String> node() {
    return Optional.ofNullable(node);
  }

  /** The chosen node's score; 0 when nothing was chosen. */
  public float score() {
    return score;
  }

  /** The pod's GPU slices, one entry per container in init-first order; empty when not scheduled. */
  public PodDevices devices() {
    return devices;
  }

  /** MIG reservations in (container index, device index) order; empty without MIG. */
  public List<MigAllocation> migAllocations() {
    return migAllocations;
  }

  /**
   * The pod annotations HAMi writes on a successful filter (scheduler.md §3.1): {@code hami.io/vgpu-node}
   * (also to be set as a label by the caller), {@code hami.io/vgpu-time}, {@code hami.io/vgpu-devices-to-allocate},
   * {@code hami.io/vgpu-devices-allocated} and, with MIG, {@code hami.io/vgpu-mig-allocations}.
   * Empty unless {@link #scheduled()}.
   */
  public Map<String, String> annotations(Instant now) {
    if (!scheduled()) {
      return Map.of();
    }
    Map<String, String> a = new LinkedHashMap<>();
    String encoded = PodDevicesCodec.encode(devices);
    a.put(Annotations.VGPU_NODE, node);
    a.put(Annotations.VGPU_TIME, Long.toString(now.getEpochSecond()));
    a.put(Annotations.DEVICES_TO_ALLOCATE, encoded);
    a.put(Annotations.DEVICES_ALLOCATED, encoded);
    if (!migAllocations.isEmpty()) {
      a.put(Annotations.MIG_ALLOCATIONS, MigAllocationsCodec.encode(migAllocations));
    }
    return Collections.unmodifiableMap(a);
  }

  /**
   * One result per distinct candidate node, in candidate order. Unknown nodes get the reason
   * {@code node unregistered}. Empty for {@link Outcome#NOT_GPU_POD} and {@link Outcome#INVALID_REQUEST}.
   */
  public synchronized List<NodeResult> nodeResults() {
    if (results == null) {
      results = evaluation == null ? List.of() : evaluation.allResults();
    }
    return results;
  }

  /** Node → reason for every candidate that does not fit, in candidate order (HAMi's {@code FailedNodes}). */
  public Map<String, String> failedNodes() {
    Map<String, String> failed = new LinkedHashMap<>();
    for (NodeResult r : nodeResults()) {
      if (!r.fits()) {
        failed.put(r.node(), r.reason());
      }
    }
    return Collections.unmodifiableMap(failed);
  }

  /** Candidates that fit, with their scores, in candidate order. */
  public List<NodeResult> fittingNodes() {
    List<NodeResult> fits = new ArrayList<>();
    for (NodeResult r : nodeResults()) {
      if (r.fits()) {
        fits.add(r);
      }
    }
    return fits;
  }

  /**
   * Per-GPU notes of fitting this pod onto {@code nodeName}: which GPUs were chosen and why the
   * others were passed over. Empty for a node that is not a registered candidate.
   */
  public List<GpuNote> explain(String nodeName) {
    return evaluation == null ? List.of() : evaluation.explain(nodeName);
  }

  @Override
  public String toString() {
    return "Decision{" + pod.ref() + " " + outcome + (node != null ? " -> " + node : "")
        + (error.isEmpty() ? "" : " error=" + error) + "}";
  }
}
