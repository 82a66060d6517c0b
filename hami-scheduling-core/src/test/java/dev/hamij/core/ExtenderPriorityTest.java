package dev.hamij.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.PodDevices;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExtenderPriorityTest {

  private static GpuScheduler cluster() {
    GpuScheduler s = GpuScheduler.create(SchedulerConfig.defaults());
    for (String n : List.of("empty", "half", "full")) {
      s.upsertNode(n, List.of(GpuDevice.hamiCore("GPU-" + n, 0, 10, 10000, 100, "NVIDIA-Tesla T4", 0)), Map.of());
    }
    s.upsertPod(new PodAllocation("p1", "default", "p1", "half", new PodDevices(List.of(List.of(
        ContainerDevice.nvidia("GPU-half", 5000, 50)))), List.of(), 0, false));
    s.upsertPod(new PodAllocation("p2", "default", "p2", "full", new PodDevices(List.of(List.of(
        ContainerDevice.nvidia("GPU-full", 10000, 100)))), List.of(), 0, false));
    return s;
  }

  private static PodSpec pod(Map<String, String> annotations) {
    return PodSpec.of("default", "p", "uid-p", annotations, PodSpec.ContainerSpec.limits("c",
        Map.of("nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000")));
  }

  @Test
  void binpackPrefersTheFullerNodeAndGivesZeroWhereThePodDoesNotFit() {
    Decision d = cluster().filter(pod(Map.of()), List.of("empty", "half", "full"));
    Map<String, Integer> p = ExtenderPriority.of(d, "binpack");
    // half: score 10 * (1/10 + 50/100 + 5000/10000) = 11.0 -> round(11/3) = 4
    assertThat(p).containsExactly(Map.entry("empty", 0), Map.entry("half", 4), Map.entry("full", 0));
  }

  @Test
  void spreadPrefersTheEmptierNodeAndThePodAnnotationOverridesTheDefault() {
    Decision d = cluster().filter(pod(Map.of("hami.io/node-scheduler-policy", "spread")), List.of("empty", "half", "full"));
    Map<String, Integer> p = ExtenderPriority.of(d, "binpack");
    assertThat(p).containsEntry("empty", ExtenderPriority.MAX).containsEntry("half", 6).containsEntry("full", 0);
  }
}
