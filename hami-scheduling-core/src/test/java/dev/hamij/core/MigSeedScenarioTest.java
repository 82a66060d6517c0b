package dev.hamij.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.Placement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MigSeedScenarioTest {

  private static PodSpec pod(String name, String mem) {
    return PodSpec.of("default", name, "uid-" + name, Map.of(),
        PodSpec.ContainerSpec.limits("main", Map.of("nvidia.com/gpu", "1", "nvidia.com/gpumem", mem)));
  }

  @Test
  void templatesPlaceThreeInstancesAndRefuseTheFourth() {
    GpuScheduler s = GpuScheduler.create(SchedulerConfig.defaults());
    GpuDevice a100 = new GpuDevice("GPU-a100", 0, 10, 40960, 100, "NVIDIA A100-SXM4-40GB", 0, "mig", true, List.of());
    s.upsertNode("n1", List.of(a100), Map.of());

    Decision d1 = s.schedule(pod("p1", "8000"));
    Decision d2 = s.schedule(pod("p2", "8000"));
    Decision d3 = s.schedule(pod("p3", "20000"));
    Decision d4 = s.schedule(pod("p4", "20000"));

    assertThat(d1.migAllocations()).containsExactly(MigAllocation.reserve(0, 0, "GPU-a100", "2g.10gb", new Placement(0, 2)));
    assertThat(d2.migAllocations()).containsExactly(MigAllocation.reserve(0, 0, "GPU-a100", "2g.10gb", new Placement(2, 2)));
    assertThat(d3.migAllocations()).containsExactly(MigAllocation.reserve(0, 0, "GPU-a100", "3g.20gb", new Placement(4, 4)));
    // 2g.10gb books the chart template's nominal 10240 MiB and 28 % cores
    assertThat(d1.annotations(Instant.ofEpochSecond(1700000000)))
        .containsEntry(Annotations.DEVICES_ALLOCATED, "GPU-a100,NVIDIA,10240,28:;")
        .containsEntry(Annotations.MIG_ALLOCATIONS,
            "[{\"containerIndex\":0,\"deviceIndex\":0,\"gpuUUID\":\"GPU-a100\",\"profile\":\"2g.10gb\",\"placement\":{\"start\":0,\"size\":2}}]");
    assertThat(d4.scheduled()).isFalse();
    assertThat(d4.failedNodes()).containsEntry("n1", "1/1 CardMigTopologyInfeasible");
    assertThat(d4.explain("n1")).singleElement().satisfies(n -> {
      assertThat(n.gpu()).isEqualTo("GPU-a100");
      assertThat(n.detail()).contains("2g.10gb at {0,2}", "3g.20gb at {4,4}");
    });
  }

  @Test
  void strictUpstreamChecksFreeMemoryOnMigGpusFirst() {
    GpuScheduler s = GpuScheduler.create(SchedulerConfig.builder().strictUpstream(true).build());
    s.upsertNode("n1", List.of(new GpuDevice("GPU-a100", 0, 10, 40960, 100, "NVIDIA A100-SXM4-40GB", 0, "mig", true,
        List.of())), Map.of());
    for (String p : List.of("p1", "p2")) {
      assertThat(s.schedule(pod(p, "8000")).scheduled()).isTrue();
    }
    assertThat(s.schedule(pod("p3", "20000")).migAllocations()).extracting(MigAllocation::placement)
        .containsExactly(new Placement(4, 4));
    assertThat(s.schedule(pod("p4", "20000")).failedNodes()).containsEntry("n1", "1/1 CardInsufficientMemory");
  }
}
