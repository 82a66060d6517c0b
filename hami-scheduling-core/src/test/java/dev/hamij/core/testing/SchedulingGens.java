package dev.hamij.core.testing;

import static dev.hamij.api.testing.Gen.weight;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.PairScoresCodec;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.HamiGens;
import dev.hamij.core.PodSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded generators of scheduling inputs for property tests of any scheduler built on (or compatible
 * with) hami-scheduling-core: clusters of hami-core, MPS and MIG nodes (real MIG profiles and
 * legacy template GPUs), pods with init containers and HAMi annotations, and event sequences that
 * schedule, release, shrink, re-register and re-quota. Built on hami-api's {@link Gen} harness.
 */
public final class SchedulingGens {
  private SchedulingGens() {}

  /** Namespaces used by generated pods and quotas. */
  public static final List<String> NAMESPACES = List.of("default", "team-a", "team-b");

  /** A node to register: name, GPUs and node annotations (cordon list, pair scores). */
  public record GeneratedNode(String name, List<GpuDevice> devices, Map<String, String> annotations) {
    public GeneratedNode {
      devices = List.copyOf(devices);
      annotations = Map.copyOf(annotations);
    }
  }

  /** One ledger or decision event of a {@link Scenario}. */
  public record Op(Kind kind, PodSpec pod, int ref, String namespace, long limit) {
    /** What the event does. */
    public enum Kind {
      /** Schedule {@link #pod()}. */
      SCHEDULE,
      /** Release the {@code ref}-th scheduled pod (modulo the count). */
      RELEASE,
      /** Mark the init containers of the {@code ref}-th scheduled pod completed. */
      INIT_DONE,
      /** Register the {@code ref}-th node again, unchanged. */
      REREGISTER,
      /** Unregister the {@code ref}-th node (it is registered again by a later REREGISTER). */
      REMOVE_NODE,
      /** Set a memory quota of {@link #limit()} MiB in {@link #namespace()}. */
      SET_QUOTA,
      /** Remove the quota of {@link #namespace()}. */
      REMOVE_QUOTA
    }
  }

  /** A cluster and a sequence of events on it. */
  public record Scenario(List<GeneratedNode> nodes, List<Op> ops) {
    public Scenario {
      nodes = List.copyOf(nodes);
      ops = List.copyOf(ops);
    }
  }

  /** A MIG GPU whose node advertises no profiles (legacy template configuration), of a model the chart covers. */
  public static Gen<GpuDevice> templateMigDevice() {
    return (r, size) -> new GpuDevice(HamiGens.gpuUuid().generate(r, size), 0, 7, 40960, 100,
        List.of("NVIDIA A100-SXM4-40GB", "NVIDIA A100-PCIE-40GB", "NVIDIA A100 80GB PCIe", "NVIDIA A30").get(r.nextInt(4)),
        r.nextInt(2), GpuDevice.MODE_MIG, r.nextInt(8) != 0, List.of());
  }

  /** GPUs of one node: mostly hami-core, some advertised-profile MIG, a few template MIG. */
  public static Gen<List<GpuDevice>> gpus() {
    Gen<GpuDevice> device = Gen.frequency(weight(6, HamiGens.hamiCoreDevice()), weight(2, HamiGens.migDevice()),
        weight(1, templateMigDevice()));
    Gen<List<GpuDevice>> node = HamiGens.node(device);
    return (r, size) -> node.generate(r, Math.min(size, 8));
  }

  /** A cluster of {@code 1..max(1, min(size, maxNodes))} nodes named {@code node-00}, {@code node-01}, … */
  public static Gen<List<GeneratedNode>> cluster(int maxNodes) {
    return (r, size) -> {
      int n = 1 + r.nextInt(Math.max(1, Math.min(size, maxNodes)));
      List<GeneratedNode> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        List<GpuDevice> devices = gpus().generate(r, size);
        Map<String, String> ann = new LinkedHashMap<>();
        if (r.nextInt(8) == 0) {
          ann.put(Annotations.DEVICE_CORDON, devices.get(r.nextInt(devices.size())).id());
        }
        if (r.nextInt(4) == 0) {
          Map<String, Map<String, Integer>> scores = new LinkedHashMap<>();
          for (GpuDevice a : devices) {
            Map<String, Integer> peers = new LinkedHashMap<>();
            for (GpuDevice b : devices) {
              if (a != b && r.nextInt(3) != 0) {
                peers.put(b.id(), r.nextInt(101));
              }
            }
            scores.put(a.id(), peers);
          }
          ann.put(Annotations.NODE_NVIDIA_SCORE, PairScoresCodec.encode(scores));
        }
        out.add(new GeneratedNode(String.format("node-%02d", i), devices, ann));
      }
      return out;
    };
  }

  /** GPU resources of one container, or none. */
  public static Gen<Map<String, String>> containerLimits() {
    return (r, size) -> {
      Map<String, String> l = new LinkedHashMap<>();
      if (r.nextInt(5) == 0) {
        return l;
      }
      l.put("nvidia.com/gpu", Integer.toString(r.nextInt(6) == 0 ? 2 + r.nextInt(2) : 1));
      int mem = r.nextInt(10);
      if (mem < 6) {
        l.put("nvidia.com/gpumem", Integer.toString(256 * (1 + r.nextInt(90))));
      } else if (mem < 8) {
        l.put("nvidia.com/gpumem-percentage", Integer.toString(5 + r.nextInt(96)));
      }
      int cores = r.nextInt(20);
      if (cores < 7) {
        l.put("nvidia.com/gpucores", Integer.toString(1 + r.nextInt(60)));
      } else if (cores < 9) {
        l.put("nvidia.com/gpucores", "100");
      }
      return l;
    };
  }

  /** Pod-level HAMi annotations: policies, vgpu-mode, numa-bind, type filters, scoring weights. */
  public static Gen<Map<String, String>> podAnnotations() {
    return (r, size) -> {
      Map<String, String> a = new LinkedHashMap<>();
      if (r.nextInt(4) == 0) {
        a.put(Annotations.GPU_SCHEDULER_POLICY,
            List.of("binpack", "spread", "mutex", "topology-aware", "numa, binpack", "spread,numa").get(r.nextInt(6)));
      }
      if (r.nextInt(5) == 0) {
        a.put(Annotations.NODE_SCHEDULER_POLICY, "spread");
      }
      if (r.nextInt(8) == 0) {
        a.put(Annotations.VGPU_MODE, r.nextBoolean() ? "mig" : "hami-core");
      }
      if (r.nextInt(8) == 0) {
        a.put(Annotations.NUMA_BIND, "true");
      }
      if (r.nextInt(10) == 0) {
        a.put(r.nextBoolean() ? Annotations.USE_GPU_TYPE : Annotations.NOUSE_GPU_TYPE, r.nextBoolean() ? "A100" : "T4");
      }
      if (r.nextInt(10) == 0) {
        a.put(Annotations.DEVICE_SCORING_WEIGHTS, HamiGens.scoringWeights().generate(r, size).toAnnotationValue());
      }
      return a;
    };
  }

  /** A pod with 0–2 init and 1–2 regular containers in one of {@link #NAMESPACES}. */
  public static Gen<PodSpec> pod(String name) {
    return (r, size) -> {
      List<PodSpec.ContainerSpec> init = new ArrayList<>();
      for (int i = r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0; i > 0; i--) {
        init.add(PodSpec.ContainerSpec.limits("init-" + i, containerLimits().generate(r, size)));
      }
      List<PodSpec.ContainerSpec> app = new ArrayList<>();
      for (int i = 1 + r.nextInt(r.nextInt(4) == 0 ? 2 : 1); i > 0; i--) {
        app.add(PodSpec.ContainerSpec.limits("c-" + i, containerLimits().generate(r, size)));
      }
      return new PodSpec(NAMESPACES.get(r.nextInt(NAMESPACES.size())), name, "uid-" + name,
          podAnnotations().generate(r, size), init, app);
    };
  }

  /** A cluster of up to {@code maxNodes} nodes and up to {@code 4 × size} events, mostly SCHEDULE. */
  public static Gen<Scenario> scenario(int maxNodes) {
    return (r, size) -> {
      List<GeneratedNode> nodes = cluster(maxNodes).generate(r, size);
      int count = r.nextInt(4 * Math.max(1, size) + 1);
      List<Op> ops = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        ops.add(op(r, size, i, nodes.size()));
      }
      return new Scenario(nodes, ops);
    };
  }

  private static Op op(SplittableRandom r, int size, int i, int nodes) {
    int k = r.nextInt(20);
    String ns = NAMESPACES.get(r.nextInt(NAMESPACES.size()));
    if (k < 12) {
      return new Op(Op.Kind.SCHEDULE, pod(String.format("pod-%03d", i)).generate(r, size), 0, ns, 0);
    }
    int ref = r.nextInt(1000);
    return switch (k) {
      case 12, 13 -> new Op(Op.Kind.RELEASE, null, ref, ns, 0);
      case 14 -> new Op(Op.Kind.INIT_DONE, null, ref, ns, 0);
      case 15, 16 -> new Op(Op.Kind.REREGISTER, null, ref % nodes, ns, 0);
      case 17 -> new Op(Op.Kind.REMOVE_NODE, null, ref % nodes, ns, 0);
      case 18 -> new Op(Op.Kind.SET_QUOTA, null, 0, ns, 1024L * r.nextInt(200));
      default -> new Op(Op.Kind.REMOVE_QUOTA, null, 0, ns, 0);
    };
  }
}
