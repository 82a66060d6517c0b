package dev.hamij.core.sim;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.testing.Gen;
import dev.hamij.core.PodSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builders and generators of small clusters and workloads for simulator tests. */
final class SimFx {
  private SimFx() {}

  static final String T4 = "NVIDIA Tesla T4";
  static final String A100 = "NVIDIA A100-SXM4-40GB";

  static GpuDevice t4(String node, int i) {
    return GpuDevice.hamiCore("GPU-" + node + "-" + i, i, 10, 16000, 100, T4, i / 2);
  }

  /** {@code n} nodes named {@code <prefix>-<i>} with {@code gpus} hami-core (or MIG A100) GPUs each. */
  static List<SimNode> nodes(String prefix, int n, int gpus, boolean mig, long cpuMilli) {
    List<SimNode> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = prefix + "-" + i;
      List<GpuDevice> devices = new ArrayList<>();
      for (int g = 0; g < gpus; g++) {
        devices.add(mig ? SimNode.migGpu("GPU-" + name + "-" + g, g, A100, 0) : t4(name, g));
      }
      out.add(new SimNode(name, cpuMilli, 256 * 1024, devices, Map.of()));
    }
    return out;
  }

  static SimCluster mixed() {
    List<SimNode> all = new ArrayList<>(nodes("t4", 3, 4, false, 32_000));
    all.addAll(nodes("mig", 1, 2, true, 64_000));
    return SimCluster.of(all);
  }

  static Map<String, String> kv(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  /** A one-container pod; {@code limits} are resource/quantity pairs. */
  static SimPod pod(String name, long cpu, long arrival, long duration, Map<String, String> annotations,
      String... limits) {
    PodSpec spec = PodSpec.of("default", name, "uid-" + name, annotations,
        PodSpec.ContainerSpec.limits("main", kv(limits)));
    return new SimPod(spec, cpu, 1024, arrival, duration);
  }

  /** A fractional pod asking for {@code pct}% of one GPU's memory and cores. */
  static SimPod share(String name, int pct, long arrival, long duration) {
    return pod(name, 1000, arrival, duration, Map.of(), "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage",
        "" + pct, "nvidia.com/gpucores", "" + pct);
  }

  /** {@code n} whole GPUs (100% memory and cores). */
  static SimPod whole(String name, int n, long arrival, long duration) {
    return pod(name, 1000, arrival, duration, Map.of(), "nvidia.com/gpu", "" + n, "nvidia.com/gpumem-percentage",
        "100", "nvidia.com/gpucores", "100");
  }

  /** Templates covering every request kind: fractional, MiB, exclusive, multi-GPU, MIG-pinned, typed, CPU-only. */
  static List<Workload.Template> templates() {
    return List.of(
        new Workload.Template(share("frac", 30, 0, 1), 5, 20_000),
        new Workload.Template(pod("mib", 2000, 0, 1, Map.of(), "nvidia.com/gpu", "1", "nvidia.com/gpumem", "6000",
            "nvidia.com/gpucores", "20"), 4, 30_000),
        new Workload.Template(whole("whole", 1, 0, 1), 2, 40_000),
        new Workload.Template(pod("pair", 4000, 0, 1, Map.of(), "nvidia.com/gpu", "2", "nvidia.com/gpumem", "4000"), 1,
            25_000),
        new Workload.Template(pod("migpin", 1000, 0, 1, Map.of("nvidia.com/vgpu-mode", "mig"), "nvidia.com/gpu", "1",
            "nvidia.com/gpumem", "9000"), 2, 30_000),
        new Workload.Template(pod("typed", 1000, 0, 1, Map.of("nvidia.com/use-gputype", "T4"), "nvidia.com/gpu", "1",
            "nvidia.com/gpumem-percentage", "50"), 1, 15_000),
        new Workload.Template(pod("cpu", 8000, 0, 1, Map.of()), 2, 50_000));
  }

  /** Random small scenarios: a cluster, a Poisson workload over {@link #templates()}, a policy and a queue flag. */
  record Scenario(SimCluster cluster, Workload workload, SimPolicy policy, boolean queue, long seed) {}

  static final List<String> POLICIES = List.of("binpack", "spread", "fragmentation", "hami-default",
      "binpack/numa,binpack", "spread/topology-aware", "binpack/mutex", "binpack@mig", "spread@hami-core",
      "ref:best-fit", "ref:fgd", "ref:fgd-gpu", "ref:random-fit");

  static Gen<Scenario> scenarios() {
    return (rnd, size) -> {
      List<SimNode> all = new ArrayList<>(nodes("t4", 1 + rnd.nextInt(3), 1 + rnd.nextInt(4), false,
          8_000 + 8_000L * rnd.nextInt(4)));
      if (rnd.nextBoolean()) {
        all.addAll(nodes("mig", 1 + rnd.nextInt(2), 1 + rnd.nextInt(2), true, 64_000));
      }
      long seed = rnd.nextLong();
      Workload w = Workload.poisson(templates(), 5 + 3 * size, 1 + rnd.nextInt(4000), 0, seed);
      return new Scenario(SimCluster.of(all), w, SimPolicy.parse(POLICIES.get(rnd.nextInt(POLICIES.size()))),
          rnd.nextBoolean(), seed);
    };
  }
}
