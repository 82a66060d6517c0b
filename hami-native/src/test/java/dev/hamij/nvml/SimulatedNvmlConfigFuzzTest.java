package dev.hamij.nvml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.testing.Fuzz;
import dev.hamij.api.testing.Gen;
import dev.hamij.api.testing.Mutations;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the simulated node files (the demo's and the simulator's GPU nodes) with mutated valid
 * documents: each loads, or fails with the documented {@link IllegalArgumentException} naming the file.
 */
class SimulatedNvmlConfigFuzzTest {

  private static Gen<String> nodeFiles() {
    List<String> models = List.copyOf(SimulatedNvml.knownModels());
    return (r, size) -> {
      StringBuilder y = new StringBuilder(r.nextBoolean() ? "driverVersion: \"550.54.15\"\n" : "").append("gpus:\n");
      for (int i = 0, n = 1 + r.nextInt(Math.min(size, 3) + 1); i < n; i++) {
        String model = models.get(r.nextInt(models.size()));
        int count = 1 + r.nextInt(3);
        y.append("  - model: ").append(model).append('\n').append("    count: ").append(count).append('\n');
        if (model.startsWith("A") || model.startsWith("H")) {
          y.append("    mig: ").append(r.nextBoolean()).append('\n');
        }
        if (r.nextBoolean()) {
          y.append("    numa: ").append(r.nextInt(3) - 1).append('\n');
        }
        if (r.nextBoolean()) {
          y.append("    uuids: [");
          for (int u = 0; u < count; u++) {
            y.append(u == 0 ? "" : ", ").append("GPU-").append(i).append('-').append(u);
          }
          y.append("]\n");
        }
        if (r.nextInt(4) == 0) {
          y.append("    memoryMiB: ").append(1024 * (1 + r.nextInt(80))).append('\n');
        }
      }
      return y.toString();
    };
  }

  @Test
  void simulatedNodeFiles() {
    Fuzz.of("native simulated node YAML", Mutations.text(nodeFiles())).inputs(1000)
        .run(IllegalArgumentException.class, v -> SimulatedNvmlConfig.load(v, "node.yaml"),
            e -> assertThat(e.getMessage()).startsWith("simulated NVML config node.yaml: "));
  }

  /** Found by the fuzzer: a huge count ran out of memory after minutes; a repeated UUID did not name the file. */
  @Test
  void hugeCountsAndRepeatedUuidsNameTheFile() {
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: H100-80GB\n    count: 2147483647\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("simulated NVML config (inline): gpus[0].count: a node has at most 1024 GPUs, got 2147483647");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: T4\n    count: 1000\n  - model: T4\n    count: 100\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("simulated NVML config (inline): gpus[1].count: a node has at most 1024 GPUs, got 100 more after 1000");
    assertThatThrownBy(() -> SimulatedNvml.fromYaml("gpus:\n  - model: T4\n    uuids: [GPU-1]\n  - model: L4\n    uuids: [GPU-1]\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("simulated NVML config (inline): GPU 1: UUID GPU-1 is used twice");
  }
}
