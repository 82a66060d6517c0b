package dev.hamij.core;

import dev.hamij.api.GpuDevice;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a node registered: its GPUs in registration order, the cordoned GPUs and the GPU pair scores,
 * plus per-GPU facts derived once (vendor match, upper-cased type, MIG shape). Immutable; shared by
 * every usage version of the node.
 */
final class NodeRegistration {
  final String name;
  final GpuDevice[] devices;
  final Map<String, Integer> index;
  final Set<String> cordonSet;
  final Map<String, Map<String, Integer>> pairScores;
  final boolean[] cordoned;
  /** Registered type contains {@code nvidia} (case-insensitive): a candidate for NVIDIA requests. */
  final boolean[] nvidia;
  /** Registered type is exactly {@code NVIDIA}: the only case where upstream's device score sees the request. */
  final boolean[] exactVendorType;
  final boolean[] mig;
  final String[] typeUpper;
  final MigShape[] shapes;

  NodeRegistration(String name, List<GpuDevice> devices, Set<String> cordonSet,
      Map<String, Map<String, Integer>> pairScores, Map<String, MigShape> shapeCache, SchedulerConfig config) {
    this.name = name;
    this.devices = devices.toArray(new GpuDevice[0]);
    this.cordonSet = Set.copyOf(cordonSet);
    this.pairScores = Map.copyOf(pairScores);
    int n = this.devices.length;
    this.index = new HashMap<>(n * 2);
    this.cordoned = new boolean[n];
    this.nvidia = new boolean[n];
    this.exactVendorType = new boolean[n];
    this.mig = new boolean[n];
    this.typeUpper = new String[n];
    this.shapes = new MigShape[n];
    for (int i = 0; i < n; i++) {
      GpuDevice d = this.devices[i];
      if (index.putIfAbsent(d.id(), i) != null) {
        throw new IllegalArgumentException("node " + name + " registers GPU " + d.id() + " twice");
      }
      cordoned[i] = cordonSet.contains(d.id());
      typeUpper[i] = d.type().toUpperCase(Locale.ROOT);
      nvidia[i] = d.type().toLowerCase(Locale.ROOT).contains("nvidia");
      exactVendorType[i] = "NVIDIA".equals(d.type());
      mig[i] = d.isMig();
      if (mig[i]) {
        String key = d.type() + "|" + d.migProfiles();
        shapes[i] = shapeCache.computeIfAbsent(key, k -> MigShape.of(d, config));
      }
    }
  }

  int size() {
    return devices.length;
  }

  /** Pair score from GPU {@code a} to GPU {@code b}; 0 when unknown (scheduler.md §12.13). */
  int pairScore(String a, String b) {
    Map<String, Integer> m = pairScores.get(a);
    if (m == null) {
      return 0;
    }
    Integer v = m.get(b);
    return v == null ? 0 : v;
  }
}
