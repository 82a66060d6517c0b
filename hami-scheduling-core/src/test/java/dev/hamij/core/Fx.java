package dev.hamij.core;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigProfile;
import dev.hamij.api.Placement;
import dev.hamij.api.PodDevices;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small builders for example tests. */
final class Fx {
  private Fx() {}

  static final String T4 = "NVIDIA-Tesla T4";

  static GpuDevice gpu(String id, int index, int mem) {
    return GpuDevice.hamiCore(id, index, 10, mem, 100, T4, 0);
  }

  static GpuDevice gpu(String id, int index, int mem, int numa) {
    return GpuDevice.hamiCore(id, index, 10, mem, 100, T4, numa);
  }

  static GpuDevice typed(String id, int index, int mem, String type) {
    return GpuDevice.hamiCore(id, index, 10, mem, 100, type, 0);
  }

  /** Key/value pairs as a map: {@code kv("a","1","b","2")}. */
  static Map<String, String> kv(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  static PodSpec.ContainerSpec c(String name, String... limits) {
    return PodSpec.ContainerSpec.limits(name, kv(limits));
  }

  /** A pod in namespace {@code default} with uid {@code uid-<name>}. */
  static PodSpec pod(String name, Map<String, String> annotations, PodSpec.ContainerSpec... containers) {
    return PodSpec.of("default", name, "uid-" + name, annotations, containers);
  }

  /** A one-container pod asking for {@code gpu} GPUs of {@code mem} MiB each. */
  static PodSpec gpuPod(String name, int gpu, int mem) {
    return pod(name, Map.of(), c("main", "nvidia.com/gpu", "" + gpu, "nvidia.com/gpumem", "" + mem));
  }

  /** An allocation of one container holding the given devices. */
  static PodAllocation alloc(String uid, String ns, String node, ContainerDevice... devices) {
    return new PodAllocation(uid, ns, uid, node, new PodDevices(List.of(List.of(devices))), List.of(), 0, false);
  }

  /** The A100-40GB MIG profiles of the HEAD examples (scheduler.md §6.2.3). */
  static List<MigProfile> a100Profiles() {
    List<Placement> ones = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      ones.add(new Placement(i, 1));
    }
    return List.of(
        new MigProfile("1g.5gb", 5120, 14, 1, ones),
        new MigProfile("2g.10gb", 10240, 28, 2, List.of(new Placement(0, 2), new Placement(2, 2), new Placement(4, 2))),
        new MigProfile("3g.20gb", 20480, 42, 3, List.of(new Placement(0, 4), new Placement(4, 4))));
  }

  static GpuDevice migGpu(String id, int index, String type, List<MigProfile> profiles) {
    return new GpuDevice(id, index, 7, 40960, 100, type, 0, GpuDevice.MODE_MIG, true, profiles);
  }
}
