package dev.hamij.core;

import static dev.hamij.core.Fx.alloc;
import static dev.hamij.core.Fx.c;
import static dev.hamij.core.Fx.gpu;
import static dev.hamij.core.Fx.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fragmentation measure of Weng et al. (ATC '23) and the fragmentation-aware node policy. */
class FragmentationPolicyTest {

  private static WorkloadMix.Gpu free(int usedPct) {
    return new WorkloadMix.Gpu(true, 10, 10000, 100, usedPct > 0 ? 1 : 0, usedPct * 100, usedPct, Integer.MAX_VALUE);
  }

  private static WorkloadMix.Shape half(long cpu) {
    return new WorkloadMix.Shape(1, 0, 50, 50, cpu);
  }

  @Test
  void fragmentationFollowsThePapersDefinition() {
    WorkloadMix mix = WorkloadMix.of(Map.of(half(0), 3L, new WorkloadMix.Shape(0, 0, 0, 0, 1000), 1L), 1.0);
    assertThat(mix.shapes()).containsExactly(half(0), new WorkloadMix.Shape(0, 0, 0, 0, 1000));
    List<WorkloadMix.Gpu> node = List.of(free(70), free(0), free(40));
    // free shares 0.3, 1.0, 0.6; the 50% shape cannot use the 0.3 sliver; the CPU-only shape strands everything
    assertThat(mix.fragmentation(node, Long.MAX_VALUE)).isCloseTo(0.75 * 0.3 + 0.25 * 1.9, within(1e-9));
    // a 2-GPU shape that finds only 2 hosts is fine, one that needs 3 strands all free share
    WorkloadMix pair = WorkloadMix.of(Map.of(new WorkloadMix.Shape(3, 0, 50, 50, 0), 1L), 1.0);
    assertThat(pair.fragmentation(node, Long.MAX_VALUE)).isCloseTo(1.9, within(1e-9));
    // without the CPU the shape needs, the node's whole free share is fragment
    WorkloadMix cpu = WorkloadMix.of(Map.of(half(8000), 1L), 1.0);
    assertThat(cpu.fragmentation(node, 4000)).isCloseTo(1.9, within(1e-9));
    assertThat(cpu.fragmentation(node, 8000)).isCloseTo(0.3, within(1e-9));
    assertThat(WorkloadMix.NONE.fragmentation(node, 0)).isZero();
  }

  @Test
  void theMixKeepsTheMostFrequentShapesUpToTheCoverage() {
    WorkloadMix.Shape a = half(0);
    WorkloadMix.Shape b = new WorkloadMix.Shape(1, 0, 100, 100, 0);
    WorkloadMix.Shape rare = new WorkloadMix.Shape(1, 1000, 0, 10, 0);
    WorkloadMix mix = WorkloadMix.of(Map.of(a, 60L, b, 36L, rare, 4L), 0.95);
    assertThat(mix.shapes()).containsExactly(a, b);
    assertThat(mix.probability(0)).isCloseTo(60.0 / 96, within(1e-12));
  }

  /**
   * Node "split" has a GPU 70% used and an idle one (node score low); node "busy" has one GPU 45% used
   * (node score high). A 30% pod under binpack goes to "busy" and leaves a 25% sliver no 50% request
   * can use; the fragmentation policy fills the 30% sliver on "split" instead.
   */
  @Test
  void fragmentationAwareChoiceDiffersFromBinpackWhereBinpackStrandsASliver() {
    GpuScheduler s = GpuScheduler.create(SchedulerConfig.builder().nodePolicy(SchedulerConfig.FRAGMENTATION)
        .gpuPolicy(SchedulerConfig.BINPACK).build());
    s.upsertNode("split", List.of(gpu("s0", 0, 10000), gpu("s1", 1, 10000)), Map.of());
    s.upsertNode("busy", List.of(gpu("b0", 0, 10000)), Map.of());
    s.upsertPod(alloc("old1", "default", "split", ContainerDevice.nvidia("s0", 7000, 70)));
    s.upsertPod(alloc("old2", "default", "busy", ContainerDevice.nvidia("b0", 4500, 45)));
    for (int i = 0; i < 5; i++) {
      assertThat(s.schedule(percent("half" + i, 50), List.of("nowhere")).scheduled()).isFalse();
    }
    Decision frag = s.filter(percent("p", 30));
    assertThat(frag.node()).contains("split");
    assertThat(frag.devices().all()).containsExactly(ContainerDevice.nvidia("s0", 3000, 30));
    PodSpec binpack = pod("q", Map.of(Annotations.NODE_SCHEDULER_POLICY, "binpack"), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem-percentage", "30", "nvidia.com/gpucores", "30"));
    assertThat(s.filter(binpack).node()).contains("busy");
  }

  @Test
  void onlyScheduledRequestsTeachTheMixAndWithoutAMixTheChoiceIsBinpack() {
    GpuScheduler s = GpuScheduler.create(SchedulerConfig.builder().nodePolicy(SchedulerConfig.FRAGMENTATION)
        .gpuPolicy(SchedulerConfig.BINPACK).build());
    s.upsertNode("split", List.of(gpu("s0", 0, 10000), gpu("s1", 1, 10000)), Map.of());
    s.upsertNode("busy", List.of(gpu("b0", 0, 10000)), Map.of());
    s.upsertPod(alloc("old1", "default", "split", ContainerDevice.nvidia("s0", 7000, 70)));
    s.upsertPod(alloc("old2", "default", "busy", ContainerDevice.nvidia("b0", 4500, 45)));
    for (int i = 0; i < 5; i++) {
      s.filter(percent("half" + i, 50));
    }
    assertThat(s.filter(percent("p", 30)).node()).contains("busy");
  }

  private static PodSpec percent(String name, int pct) {
    return pod(name, Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "" + pct,
        "nvidia.com/gpucores", "" + pct));
  }
}
