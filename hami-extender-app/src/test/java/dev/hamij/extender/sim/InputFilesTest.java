package dev.hamij.extender.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.GpuDevice;
import dev.hamij.core.sim.SimCluster;
import dev.hamij.core.sim.SimNode;
import dev.hamij.core.sim.SimPod;
import dev.hamij.core.sim.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The compact cluster and workload YAML files: the shipped examples load, mistakes are named by key path. */
class InputFilesTest {
  static final Path EXAMPLES = Path.of("..", "examples", "sim");

  @TempDir
  Path dir;

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  @Test
  void theExampleClusterMixesHamiCoreAndMigPools() throws Exception {
    SimCluster c = ClusterFile.load(EXAMPLES.resolve("cluster.yaml"));
    assertThat(c.nodes()).extracting(SimNode::name).contains("t4-0", "t4-5", "a100-3", "a100mig-1");
    SimNode t4 = c.nodes().get(0);
    assertThat(t4.cpuMilli()).isEqualTo(48_000);
    assertThat(t4.memoryMiB()).isEqualTo(192 * 1024);
    assertThat(t4.gpus()).hasSize(4).allSatisfy(g -> assertThat(g.devmem()).isEqualTo(15360));
    SimNode mig = c.nodes().stream().filter(n -> n.name().equals("a100mig-0")).findFirst().orElseThrow();
    assertThat(mig.gpus()).allSatisfy(g -> {
      assertThat(g.mode()).isEqualTo(GpuDevice.MODE_MIG);
      assertThat(g.migProfiles()).extracting(p -> p.name()).contains("1g.5gb", "3g.20gb", "7g.40gb");
    });
    SimNode a100 = c.nodes().stream().filter(n -> n.name().equals("a100-0")).findFirst().orElseThrow();
    assertThat(a100.gpus()).extracting(GpuDevice::numa).containsExactly(0, 0, 0, 0, 1, 1, 1, 1);
  }

  @Test
  void theExampleWorkloadHasExplicitAndGeneratedPods() throws Exception {
    WorkloadFile f = WorkloadFile.load(EXAMPLES.resolve("workload.yaml"));
    Workload w = f.build(42);
    assertThat(w.pods()).extracting(p -> p.spec().name()).contains("train-8gpu-0", "notebook-11", "etl-7");
    assertThat(w.pods().stream().filter(p -> p.spec().name().startsWith("infer-")).count()).isGreaterThan(300);
    assertThat(f.build(42).pods()).isEqualTo(w.pods());
    assertThat(f.build(43).pods()).isNotEqualTo(w.pods());
    SimPod train = w.pods().stream().filter(p -> p.spec().name().equals("train-2gpu-1")).findFirst().orElseThrow();
    assertThat(train.arrivalMillis()).isEqualTo(20 * 60_000L);
    assertThat(train.durationMillis()).isEqualTo(3 * 3_600_000L);
    assertThat(train.spec().containers().get(0).limits()).containsEntry("nvidia.com/gpu", "2")
        .containsEntry("nvidia.com/gpumem", "20000");
  }

  @Test
  void clusterMistakesNameTheKeyPath() throws Exception {
    assertThatThrownBy(() -> ClusterFile.load(write("c.yaml", "pools:\n  - name: a\n    nodes: two\n")))
        .isInstanceOf(InputError.class).hasMessageEndingWith("pools[0].nodes: expected a whole number, got \"two\"");
    assertThatThrownBy(() -> ClusterFile.load(write("c.yaml",
        "pools:\n  - {name: a, nodes: 1, cpu: '8', memory: 8Gi, gpus: 1, model: T4, gpumemory: 1}\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("pools[0].gpumemory: unknown key");
    assertThatThrownBy(() -> ClusterFile.load(write("c.yaml",
        "pools:\n  - {name: a, nodes: 1, cpu: '8', memory: lots, gpus: 1, model: T4, gpuMemory: 100}\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("pools[0].memory: \"lots\" is not a Kubernetes quantity");
    assertThatThrownBy(() -> ClusterFile.load(write("c.yaml",
        "pools:\n  - {name: a, nodes: 1, cpu: '8', memory: 8Gi, gpus: 1, model: Tesla T4, mode: mig}\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("pools[0].model: \"NVIDIA-Tesla T4\" has no MIG profiles");
    assertThatThrownBy(() -> ClusterFile.load(write("c.yaml",
        "pools:\n  - {name: a, nodes: 1, cpu: '8', memory: 8Gi, gpus: 1, model: T4}\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("pools[0].gpuMemory: missing");
  }

  /** Found by {@code SimInputFuzzTest}: a quantity too large for a long threw ArithmeticException. */
  @Test
  void quantitiesTooLargeAreNamed() throws Exception {
    for (String cpu : java.util.List.of("81e309", "1e999999999", "99999999999999999999")) {
      assertThatThrownBy(() -> ClusterFile.load(write("c.yaml", "pools:\n  - {name: a, nodes: 1, cpu: '" + cpu
          + "', memory: 8Gi, gpus: 1, model: T4, gpuMemory: 100}\n")))
          .isInstanceOf(InputError.class).hasMessageEndingWith("pools[0].cpu: \"" + cpu + "\" is too large");
    }
    assertThatThrownBy(() -> WorkloadFile.load(write("w.yaml", "pods:\n  - {name: a, memory: 99999999999999Ei}\n")))
        .isInstanceOf(InputError.class).hasMessageEndingWith("pods[0].memory: \"99999999999999Ei\" is too large");
  }

  /** Found by {@code SimInputFuzzTest}: a mapping or list where a number belongs threw Jackson's JsonNodeException. */
  @Test
  void aMappingOrListWhereAValueBelongsIsNamed() throws Exception {
    assertThatThrownBy(() -> ClusterFile.load(write("c.yaml", "pools:\n  - {name: m, nodes: 1, cpu: {}, mode: mig}\n")))
        .isInstanceOf(InputError.class).hasMessageEndingWith("pools[0].cpu: expected a single value, got a mapping");
    assertThatThrownBy(() -> ClusterFile.load(write("c.yaml", "pools:\n  - {name: m, nodes: [1], cpu: '8'}\n")))
        .isInstanceOf(InputError.class).hasMessageEndingWith("pools[0].nodes: expected a single value, got a list");
    assertThatThrownBy(() -> WorkloadFile.load(write("w.yaml", "pods:\n  - {name: a, gpu: 1, interval: {a: 1}}\n")))
        .isInstanceOf(InputError.class).hasMessageEndingWith("pods[0].interval: expected a single value, got a mapping");
  }

  /** Found by {@code SimInputFuzzTest}: an interval past a long's range made arrivals negative (IllegalArgumentException). */
  @Test
  void durationsLongerThanACenturyAreNamed() throws Exception {
    assertThatThrownBy(() -> WorkloadFile.load(write("w.yaml",
        "pods:\n  - {name: a, gpu: 1, count: 3, interval: 18446744073709551616m}\n")))
        .isInstanceOf(InputError.class)
        .hasMessageEndingWith("pods[0].interval: \"18446744073709551616m\" is longer than 36500d");
    assertThat(WorkloadFile.load(write("w.yaml", "pods:\n  - {name: a, gpu: 1, count: 3, interval: 36500d}\n"))
        .build(1).pods()).hasSize(3);
  }

  @Test
  void workloadMistakesNameTheKeyPath() throws Exception {
    assertThatThrownBy(() -> WorkloadFile.load(write("w.yaml", "pods:\n  - {name: a, gpu: 1, duration: soon}\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("pods[0].duration: \"soon\" is not a duration");
    assertThatThrownBy(() -> WorkloadFile.load(write("w.yaml", "pods:\n  - {name: a, gpumemPercentage: 120}\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("pods[0].gpumemPercentage: 120 is out of range 1..100");
    assertThatThrownBy(() -> WorkloadFile.load(write("w.yaml", "generator:\n  pods: 5\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("generator.templates: expected at least one template");
    assertThatThrownBy(() -> WorkloadFile.load(write("w.yaml", "pods: []\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("the workload has no pods");
    assertThatThrownBy(() -> WorkloadFile.load(write("w.yaml", "pods:\n  - {name: a}\n  - {name: a}\n")))
        .isInstanceOf(InputError.class).hasMessageContaining("is used twice");
  }
}
