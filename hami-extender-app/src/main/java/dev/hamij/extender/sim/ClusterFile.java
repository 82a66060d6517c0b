package dev.hamij.extender.sim;

import dev.hamij.api.GpuDevice;
import dev.hamij.core.sim.SimCluster;
import dev.hamij.core.sim.SimNode;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The compact cluster description: pools of identical nodes, each {@code nodes × gpus} of one GPU model
 * in hami-core or MIG mode, with CPU and memory.
 *
 * <pre>
 * pools:
 *   - name: t4             # nodes t4-0, t4-1, ...
 *     nodes: 4
 *     cpu: "48"            # Kubernetes quantities
 *     memory: 192Gi
 *     gpus: 4              # per node
 *     model: NVIDIA Tesla T4
 *     gpuMemory: 15360     # MiB per GPU (hami-core; MIG GPUs take it from the model)
 *     mode: hami-core      # or mig
 *     split: 10            # slots per hami-core GPU (deviceSplitCount)
 *     numaNodes: 2         # GPUs spread over this many NUMA nodes (default 1)
 *     annotations: {}      # node annotations, e.g. hami.io/device-cordon
 * </pre>
 */
final class ClusterFile {
  private static final Set<String> TOP = Set.of("pools");
  private static final Set<String> POOL = Set.of("name", "nodes", "cpu", "memory", "gpus", "model", "gpuMemory", "mode",
      "split", "numaNodes", "annotations");
  static final BigDecimal MILLI = BigDecimal.valueOf(1000);
  static final BigDecimal PER_MIB = BigDecimal.ONE.divide(BigDecimal.valueOf(1L << 20));

  private ClusterFile() {}

  static SimCluster load(Path file) throws InputError {
    YamlFields top = YamlFields.load(file, TOP);
    List<YamlFields> pools = top.list("pools", POOL);
    if (pools.isEmpty()) {
      throw top.error("pools", "expected at least one pool");
    }
    List<SimNode> nodes = new ArrayList<>();
    for (YamlFields p : pools) {
      String name = p.text("name", null);
      if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
        throw p.error("name", "\"" + name + "\" is not a valid node name prefix (lower-case letters, digits, '-')");
      }
      int count = (int) p.whole("nodes", Long.MIN_VALUE, 1, 100_000);
      long cpu = p.quantity("cpu", -1, MILLI);
      long memory = p.quantity("memory", -1, PER_MIB);
      int gpus = (int) p.whole("gpus", 0, 0, 64);
      String mode = p.text("mode", GpuDevice.MODE_HAMI_CORE);
      if (!mode.equals(GpuDevice.MODE_HAMI_CORE) && !mode.equals(GpuDevice.MODE_MIG)) {
        throw p.error("mode", "\"" + mode + "\" is not hami-core or mig");
      }
      String model = gpus > 0 ? p.text("model", null) : p.text("model", "");
      if (gpus > 0 && !model.toLowerCase(java.util.Locale.ROOT).contains("nvidia")) {
        model = "NVIDIA-" + model;
      }
      int split = (int) p.whole("split", 10, 1, 1000);
      int numa = (int) p.whole("numaNodes", 1, 1, 64);
      Map<String, String> annotations = p.strings("annotations");
      int gpuMemory = 0;
      if (gpus > 0 && mode.equals(GpuDevice.MODE_MIG)) {
        if (SimNode.migModel(model).isEmpty()) {
          throw p.error("model", "\"" + model + "\" has no MIG profiles in the bundled table; use mode: hami-core");
        }
      } else if (gpus > 0) {
        gpuMemory = (int) p.whole("gpuMemory", Long.MIN_VALUE, 1, Integer.MAX_VALUE);
      }
      for (int i = 0; i < count; i++) {
        String node = name + "-" + i;
        List<GpuDevice> devices = new ArrayList<>();
        for (int g = 0; g < gpus; g++) {
          String uuid = "GPU-" + node + "-" + g;
          int numaNode = g * numa / gpus;
          devices.add(mode.equals(GpuDevice.MODE_MIG) ? SimNode.migGpu(uuid, g, model, numaNode)
              : GpuDevice.hamiCore(uuid, g, split, gpuMemory, 100, model, numaNode));
        }
        nodes.add(new SimNode(node, cpu, memory, devices, annotations));
      }
    }
    try {
      return SimCluster.of(nodes);
    } catch (IllegalArgumentException e) {
      throw new InputError(file + ": " + e.getMessage(), e);
    }
  }
}
