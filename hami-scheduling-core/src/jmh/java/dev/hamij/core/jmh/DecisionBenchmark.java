package dev.hamij.core.jmh;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.PodDevices;
import dev.hamij.core.Decision;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.PodAllocation;
import dev.hamij.core.PodSpec;
import dev.hamij.core.SchedulerConfig;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One full scheduling decision on a loaded cluster: derive the pod's requests, filter and score
 * every candidate node, choose, and book the result ({@link GpuScheduler#schedule}); the booking is
 * released again ({@link GpuScheduler#release}) so every invocation sees the same cluster.
 *
 * <p>Cluster: {@code nodes} nodes of 8 GPUs each (7 of 8 nodes hami-core: 10 slots, 16–80 GiB;
 * 1 of 8 nodes MIG A100-40GB with advertised profiles), about 10 resident pods per node (1–2 GPUs,
 * 1–12 GB, 0–50 % cores; MIG nodes 1–3 instances), no quota. Probe pods rotate through four shapes.
 * The candidate list names every node with its own String instances (as a decoded extender request
 * does), so each lookup compares contents.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class DecisionBenchmark {

  @Param({"100", "1000", "5000"})
  public int nodes;

  private GpuScheduler scheduler;
  private List<String> candidates;
  private PodSpec[] probes;
  private int next;

  @Setup(Level.Trial)
  public void build() {
    long before = usedHeap();
    scheduler = GpuScheduler.create(SchedulerConfig.defaults());
    SplittableRandom r = new SplittableRandom(42);
    candidates = new ArrayList<>(nodes);
    MigProfileTable.Model a100 = MigProfileTable.bundled().forKey("A100-40GB").orElseThrow();
    int resident = 0;
    for (int n = 0; n < nodes; n++) {
      String name = String.format("node-%05d", n);
      candidates.add(new String(name.toCharArray()));
      boolean mig = n % 8 == 7;
      List<GpuDevice> gpus = new ArrayList<>(8);
      int mem = 16384 * (1 + r.nextInt(5));
      for (int g = 0; g < 8; g++) {
        String id = String.format("GPU-%05d-%d-4f1c-9a7e-%012d", n, g, n * 8L + g);
        gpus.add(mig
            ? new GpuDevice(id, g, 7, 40960, 100, "NVIDIA A100-SXM4-40GB", g / 4, GpuDevice.MODE_MIG, true,
                List.of(a100.advertised(a100.profile("1g.5gb").orElseThrow()),
                    a100.advertised(a100.profile("2g.10gb").orElseThrow()),
                    a100.advertised(a100.profile("3g.20gb").orElseThrow()),
                    a100.advertised(a100.profile("7g.40gb").orElseThrow())))
            : GpuDevice.hamiCore(id, g, 10, mem, 100, "NVIDIA A100 80GB PCIe", g / 4));
      }
      scheduler.upsertNode(name, gpus, Map.of());
      for (int p = 0; p < 10; p++) {
        String uid = name + "-pod-" + p;
        if (mig) {
          PodSpec pod = PodSpec.of("ns-" + (p % 20), uid, uid, Map.of(), PodSpec.ContainerSpec.limits("c",
              Map.of("nvidia.com/gpu", "1", "nvidia.com/gpumem", Integer.toString(2000 + r.nextInt(16000)))));
          if (scheduler.schedule(pod, List.of(name)).scheduled()) {
            resident++;
          }
          continue;
        }
        int gpuCount = r.nextInt(10) == 0 ? 2 : 1;
        List<ContainerDevice> devs = new ArrayList<>();
        int first = r.nextInt(8);
        for (int k = 0; k < gpuCount; k++) {
          devs.add(ContainerDevice.nvidia(gpus.get((first + k) % 8).id(), 1000 * (1 + r.nextInt(12)),
              r.nextInt(3) == 0 ? 10 * r.nextInt(6) : 0));
        }
        scheduler.upsertPod(new PodAllocation(uid, "ns-" + (p % 20), uid, name, new PodDevices(List.of(devs)),
            List.of(), 0, false));
        resident++;
      }
    }
    long after = usedHeap();
    System.out.printf("%nledger: %d nodes, %d GPUs, %d resident pods, heap %.1f MiB%n", nodes, nodes * 8, resident,
        (after - before) / 1048576.0);
    probes = new PodSpec[] {
        probe("a", "1", "4000", null, null),
        probe("b", "2", "8000", null, "30"),
        probe("c", "1", "2000", null, "20"),
        probe("d", "1", null, "25", null)};
  }

  private static PodSpec probe(String name, String gpus, String mem, String pct, String cores) {
    Map<String, String> limits = new java.util.LinkedHashMap<>();
    limits.put("nvidia.com/gpu", gpus);
    if (mem != null) {
      limits.put("nvidia.com/gpumem", mem);
    }
    if (pct != null) {
      limits.put("nvidia.com/gpumem-percentage", pct);
    }
    if (cores != null) {
      limits.put("nvidia.com/gpucores", cores);
    }
    return PodSpec.of("bench", "probe-" + name, "probe-uid-" + name, Map.of(), PodSpec.ContainerSpec.limits("main", limits));
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Decide, book and release one pod. */
  @Benchmark
  public Decision scheduleAndRelease() {
    PodSpec pod = probes[next++ & 3];
    Decision d = scheduler.schedule(pod, candidates);
    scheduler.release(pod.uid());
    return d;
  }

  /**
   * As {@link #scheduleAndRelease}, with the candidate names as new String objects on every call, as an
   * extender decodes them from each request's JSON (no cached hash codes, contents compared).
   */
  @Benchmark
  public Decision scheduleFreshNames() {
    List<String> fresh = new ArrayList<>(candidates.size());
    for (String s : candidates) {
      fresh.add(new String(s.toCharArray()));
    }
    PodSpec pod = probes[next++ & 3];
    Decision d = scheduler.schedule(pod, fresh);
    scheduler.release(pod.uid());
    return d;
  }

  /** Decide without booking (the pure filter). */
  @Benchmark
  public Decision filter() {
    return scheduler.filter(probes[next++ & 3], candidates);
  }
}
