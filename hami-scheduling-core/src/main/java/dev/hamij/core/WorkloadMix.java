package dev.hamij.core;

import dev.hamij.api.ContainerDeviceRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * An expected mix of requests (the "target workload" M of Weng et al., <i>Beware of Fragmentation:
 * Scheduling GPU-Sharing Workloads with Fragmentation Gradient Descent</i>, USENIX ATC '23) and the
 * fragmentation of a node under it: the free GPU share on the node that a request drawn from the mix
 * could not use, in expectation.
 *
 * <p>For one shape m and one node: if m asks for no GPU, or the node lacks m's CPU, or fewer of the
 * node's GPUs than m asks for could host m's per-GPU slice, all of the node's free GPU share is
 * fragment; otherwise only the free share of the GPUs that could not host m is. The node's value is
 * the probability-weighted sum over the shapes. A GPU's free share is
 * {@code min(free memory / memory, free cores / cores)}, free memory alone on a MIG GPU; unhealthy
 * and cordoned GPUs count neither as free nor as usable. Immutable.
 */
public final class WorkloadMix {

  /**
   * One request shape: what one container asks for on each of {@code gpus} distinct GPUs, plus the
   * CPU its pod needs on the node ({@code 0} when unknown or irrelevant).
   *
   * @param gpus distinct GPUs per container; 0 for a pod without GPUs
   * @param memoryMiB memory per GPU in MiB; 0 when {@code memoryPercent} is used
   * @param memoryPercent memory per GPU as a percentage of the GPU (1..100); 0 when {@code memoryMiB} is used
   * @param cores cores per GPU in percent (100 = the whole GPU, booked exclusively)
   * @param cpuMilli CPU the pod needs on the node, in thousandths of a core
   */
  public record Shape(int gpus, int memoryMiB, int memoryPercent, int cores, long cpuMilli) {
    public Shape {
      if (gpus < 0 || memoryMiB < 0 || memoryPercent < 0 || memoryPercent > 100 || cores < 0 || cpuMilli < 0) {
        throw new IllegalArgumentException("invalid request shape: gpus=" + gpus + " memoryMiB=" + memoryMiB
            + " memoryPercent=" + memoryPercent + " cores=" + cores + " cpuMilli=" + cpuMilli);
      }
    }

    /** MiB one slice of this shape books on a GPU of {@code devmem} MiB (a percentage truncated, as HAMi does). */
    public int memoryOn(int devmem) {
      return memoryMiB > 0 ? memoryMiB : (int) ((long) devmem * memoryPercent / 100);
    }
  }

  /**
   * What fragmentation needs to know of one GPU.
   *
   * @param available healthy and not cordoned
   * @param slots registered slots
   * @param memory registered MiB
   * @param cores registered cores (percent)
   * @param usedSlots booked slots
   * @param usedMemory booked MiB
   * @param usedCores booked cores
   * @param migLargest for a GPU in MIG mode, the memory of the largest profile that still has a free
   *     placement (-1 when none); {@link Integer#MAX_VALUE} for a GPU not in MIG mode
   */
  public record Gpu(boolean available, int slots, int memory, int cores, int usedSlots, int usedMemory,
      int usedCores, int migLargest) {

    /** True for a GPU in MIG mode. */
    boolean mig() {
      return migLargest != Integer.MAX_VALUE;
    }

    /** Free share of this GPU in [0, 1] (0 when unavailable); memory only for a MIG GPU. */
    public double freeShare() {
      if (!available || memory <= 0 || cores <= 0) {
        return 0;
      }
      double mem = (double) (memory - usedMemory) / memory;
      double core = mig() ? mem : (double) (cores - usedCores) / cores;
      return Math.max(0, Math.min(mem, core));
    }

    /**
     * Whether one per-GPU slice of {@code s} fits on this GPU now, by HAMi's per-GPU capacity checks:
     * a free slot, then for a MIG GPU a placeable profile with the memory, else free memory, free
     * cores and, for 100% cores, an idle GPU.
     */
    public boolean hosts(Shape s) {
      if (!available || usedSlots >= slots) {
        return false;
      }
      int mem = s.memoryOn(memory);
      if (mig()) {
        return migLargest >= mem;
      }
      int cap = Math.min(s.cores(), 100);
      if (cores - usedCores < cap || (cores == 100 && cap == 100 && usedSlots > 0)
          || (cores != 0 && usedCores == cores && cap == 0)) {
        return false;
      }
      return memory - usedMemory >= mem;
    }
  }

  /** The empty mix: every node's fragmentation is 0. */
  public static final WorkloadMix NONE = new WorkloadMix(List.of(), new double[0]);

  private final List<Shape> shapes;
  private final double[] probabilities;

  private WorkloadMix(List<Shape> shapes, double[] probabilities) {
    this.shapes = List.copyOf(shapes);
    this.probabilities = probabilities;
  }

  /**
   * The most frequent shapes of {@code counts}, most frequent first (ties in shape order), kept until
   * they cover at least {@code coverage} of all counted requests (the paper uses 0.95), with their
   * probabilities renormalised to sum to 1.
   */
  public static WorkloadMix of(Map<Shape, Long> counts, double coverage) {
    if (!(coverage > 0 && coverage <= 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1], got " + coverage);
    }
    List<Map.Entry<Shape, Long>> entries = new ArrayList<>();
    long total = 0;
    for (Map.Entry<Shape, Long> e : counts.entrySet()) {
      if (e.getValue() > 0) {
        entries.add(Map.entry(Objects.requireNonNull(e.getKey()), e.getValue()));
        total += e.getValue();
      }
    }
    if (total == 0) {
      return NONE;
    }
    entries.sort(Comparator.comparing((Map.Entry<Shape, Long> e) -> -e.getValue()).thenComparing(Map.Entry::getKey,
        SHAPE_ORDER));
    List<Shape> kept = new ArrayList<>();
    List<Long> keptCounts = new ArrayList<>();
    long covered = 0;
    for (Map.Entry<Shape, Long> e : entries) {
      kept.add(e.getKey());
      keptCounts.add(e.getValue());
      covered += e.getValue();
      if (covered >= coverage * total) {
        break;
      }
    }
    double[] p = new double[kept.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (double) keptCounts.get(i) / covered;
    }
    return new WorkloadMix(kept, p);
  }

  private static final Comparator<Shape> SHAPE_ORDER = Comparator.comparingInt(Shape::gpus)
      .thenComparingInt(Shape::cores).thenComparingInt(Shape::memoryPercent).thenComparingInt(Shape::memoryMiB)
      .thenComparingLong(Shape::cpuMilli);

  /**
   * The per-container GPU request shapes of a pod, as the scheduler derives them from its resources
   * (scheduler.md §1.2), with CPU 0; empty for a pod that asks for no GPU.
   *
   * @throws IllegalArgumentException naming the container and resource when the request is invalid
   */
  public static List<Shape> shapesOf(PodSpec pod, SchedulerConfig config) {
    PodRequest req;
    try {
      req = PodRequest.of(pod, config);
    } catch (PodRequest.Invalid e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    List<Shape> out = new ArrayList<>();
    for (ContainerDeviceRequest r : req.containers) {
      if (r != null) {
        out.add(FragmentationPolicy.shape(r));
      }
    }
    return List.copyOf(out);
  }

  /** The shapes, most frequent first. */
  public List<Shape> shapes() {
    return shapes;
  }

  /** Probability of the shape at {@code index} of {@link #shapes()}. */
  public double probability(int index) {
    return probabilities[index];
  }

  /** True when the mix has no shape. */
  public boolean isEmpty() {
    return shapes.isEmpty();
  }

  /**
   * F_n(M): the expected free GPU share on one node (in GPUs: 1.0 = one whole GPU) that a request drawn
   * from this mix could not use, for a node with these GPUs and {@code freeCpuMilli} unreserved CPU
   * ({@link Long#MAX_VALUE} when CPU is not modelled).
   */
  public double fragmentation(List<Gpu> gpus, long freeCpuMilli) {
    int n = gpus.size();
    double total = 0;
    double[] free = new double[n];
    for (int g = 0; g < n; g++) {
      free[g] = gpus.get(g).freeShare();
      total += free[g];
    }
    if (total == 0) {
      return 0;
    }
    double f = 0;
    for (int i = 0; i < shapes.size(); i++) {
      Shape s = shapes.get(i);
      double stranded = total;
      if (s.gpus() > 0 && freeCpuMilli >= s.cpuMilli()) {
        int hosts = 0;
        double unusable = 0;
        for (int g = 0; g < n; g++) {
          if (gpus.get(g).hosts(s)) {
            hosts++;
          } else {
            unusable += free[g];
          }
        }
        if (hosts >= s.gpus()) {
          stranded = unusable;
        }
      }
      f += probabilities[i] * stranded;
    }
    return f;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("WorkloadMix[");
    for (int i = 0; i < shapes.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(shapes.get(i)).append('=').append(String.format(Locale.ROOT, "%.4f", probabilities[i]));
    }
    return sb.append(']').toString();
  }
}
