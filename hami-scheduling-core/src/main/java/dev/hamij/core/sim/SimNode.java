package dev.hamij.core.sim;

import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigProfile;
import dev.hamij.api.MigProfileTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One node of a simulated cluster: the CPU and memory kube-scheduler would check, the GPUs its device
 * plugin registers (as in {@code hami.io/node-nvidia-register}) and its node annotations (cordon list,
 * pair scores). Immutable.
 *
 * @param name node name, unique in the cluster
 * @param cpuMilli allocatable CPU in thousandths of a core
 * @param memoryMiB allocatable memory in MiB
 * @param gpus registered GPUs in registration order (may be empty for a CPU-only node)
 * @param annotations node annotations passed to {@code GpuScheduler.upsertNode}
 */
public record SimNode(String name, long cpuMilli, long memoryMiB, List<GpuDevice> gpus,
    Map<String, String> annotations) {

  private static final Pattern MODEL_GB = Pattern.compile("(\\d+)GB$");

  public SimNode {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("node name must not be empty");
    }
    if (cpuMilli < 0 || memoryMiB < 0) {
      throw new IllegalArgumentException("node " + name + ": cpu and memory must not be negative");
    }
    gpus = List.copyOf(gpus);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** The same node with other GPUs. */
  public SimNode withGpus(List<GpuDevice> newGpus) {
    return new SimNode(name, cpuMilli, memoryMiB, newGpus, annotations);
  }

  /**
   * A GPU in MIG mode as a HEAD device plugin registers it: every profile of the bundled
   * {@link MigProfileTable} entry for {@code model} except media-extension ones, {@code count} = the
   * largest instance count, memory taken from the model key (e.g. {@code A100-40GB} → 40960 MiB).
   *
   * @throws IllegalArgumentException when the table does not know the model
   */
  public static GpuDevice migGpu(String uuid, int index, String model, int numa) {
    MigProfileTable.Model m = migModel(model).orElseThrow(() -> new IllegalArgumentException(
        "GPU model \"" + model + "\" has no MIG profiles in the bundled table (known: " + migModelNames() + ")"));
    List<MigProfile> profiles = new ArrayList<>();
    int count = 0;
    for (MigProfileTable.Profile p : m.profiles()) {
      if (!p.mediaExtensions()) {
        profiles.add(m.advertised(p));
        count = Math.max(count, p.maxCount());
      }
    }
    Matcher gb = MODEL_GB.matcher(m.key());
    int memory = gb.find() ? Integer.parseInt(gb.group(1)) * 1024 : profiles.get(profiles.size() - 1).memoryMB();
    return new GpuDevice(uuid, index, count, memory, 100, m.nvmlNames().get(0), numa, GpuDevice.MODE_MIG, true,
        profiles);
  }

  /** The bundled MIG table's model for an NVML name or table key, if any. */
  public static Optional<MigProfileTable.Model> migModel(String model) {
    MigProfileTable table = MigProfileTable.bundled();
    Optional<MigProfileTable.Model> m = table.forName(model);
    return m.isPresent() ? m : table.forKey(model);
  }

  private static String migModelNames() {
    List<String> keys = new ArrayList<>();
    for (MigProfileTable.Model m : MigProfileTable.bundled().models()) {
      keys.add(m.key());
    }
    return String.join(", ", keys);
  }
}
