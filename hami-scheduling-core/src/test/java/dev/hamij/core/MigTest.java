package dev.hamij.core;

import static dev.hamij.core.Fx.c;
import static dev.hamij.core.Fx.gpuPod;
import static dev.hamij.core.Fx.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigGeometry;
import dev.hamij.api.MigProfile;
import dev.hamij.api.MigTemplate;
import dev.hamij.api.Placement;
import dev.hamij.api.PodDevices;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** scheduler.md §6: dynamic MIG with advertised profiles and with legacy templates, one pool, fail-closed rules. */
class MigTest {

  private final GpuScheduler s = GpuScheduler.create(SchedulerConfig.defaults());

  private static MigAllocation only(Decision d) {
    assertThat(d.migAllocations()).hasSize(1);
    return d.migAllocations().get(0);
  }

  private static Placement at(int start, int size) {
    return new Placement(start, size);
  }

  @Test
  void headSeedExampleWithAdvertisedProfiles() {
    s.upsertNode("n1", List.of(Fx.migGpu("GPU-a", 0, "NVIDIA A100-SXM4-40GB", Fx.a100Profiles())), Map.of());
    Decision first = s.schedule(gpuPod("p1", 1, 8000));
    assertThat(only(first)).isEqualTo(MigAllocation.reserve(0, 0, "GPU-a", "2g.10gb", at(0, 2)));
    assertThat(first.devices().all()).containsExactly(ContainerDevice.nvidia("GPU-a", 10240, 28));
    assertThat(only(s.schedule(gpuPod("p2", 1, 8000))).placement()).isEqualTo(at(2, 2));
    assertThat(only(s.schedule(gpuPod("p3", 1, 8000))).placement()).isEqualTo(at(4, 2));
    Decision fourth = s.schedule(gpuPod("p4", 1, 8000));
    assertThat(fourth.failedNodes()).containsEntry("n1", "1/1 CardMigTopologyInfeasible");
    Decision small = s.schedule(gpuPod("p5", 1, 5000));
    assertThat(only(small)).isEqualTo(MigAllocation.reserve(0, 0, "GPU-a", "1g.5gb", at(6, 1)));
    ClusterUsage.GpuUsage g = s.usage().node("n1").orElseThrow().gpus().get(0);
    assertThat(g.migInstances()).extracting(m -> m.allocation().profile() + "@" + m.allocation().placement().start())
        .containsExactly("2g.10gb@0", "2g.10gb@2", "2g.10gb@4", "1g.5gb@6");
    assertThat(g.used()).isEqualTo(4);
    assertThat(g.usedMemory()).isEqualTo(3 * 10240 + 5120);
  }

  @Test
  void rolledUpProfileCoresNeverBlockAPlacementNvidiaAllows() {
    // Real A100-40GB profiles as hami-nvidia advertises them: core shares are rounded up (2g = 29, 1g = 15),
    // so three 2g plus one 1g book 102 "percent". Placement rules, not the percentage sum, decide on MIG GPUs.
    dev.hamij.api.MigProfileTable.Model a100 = dev.hamij.api.MigProfileTable.bundled().forKey("A100-40GB").orElseThrow();
    List<MigProfile> real = java.util.stream.Stream.of("1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb") // chart allowlist
        .map(n -> a100.advertised(a100.profile(n).orElseThrow())).toList();
    s.upsertNode("n1", List.of(Fx.migGpu("GPU-a", 0, "NVIDIA A100-SXM4-40GB", real)), Map.of());
    for (int i = 0; i < 3; i++) {
      assertThat(s.schedule(gpuPod("p" + i, 1, 8000)).scheduled()).isTrue();
    }
    Decision small = s.schedule(gpuPod("small", 1, 4000)); // 3 x 29 + 15 = 102 "percent", yet legal
    assertThat(small.failedNodes()).isEmpty();
    assertThat(only(small).placement()).isEqualTo(at(6, 1));
    assertThat(s.usage().node("n1").orElseThrow().gpus().get(0).usedCores()).isGreaterThan(100);
  }

  @Test
  void coreSharesAddingUpToTheWholeGpuDoNotStopFurtherPlacements() {
    List<Placement> ones = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      ones.add(at(i, 1));
    }
    GpuDevice quarterCores = Fx.migGpu("GPU-q", 0, "NVIDIA A100-SXM4-40GB",
        List.of(new MigProfile("1g.5gb", 5120, 25, 1, ones)));
    s.upsertNode("n1", List.of(quarterCores), Map.of());
    for (int i = 0; i < 4; i++) {
      assertThat(s.schedule(gpuPod("p" + i, 1, 4000)).scheduled()).isTrue();
    }
    assertThat(s.usage().node("n1").orElseThrow().gpus().get(0).usedCores()).isEqualTo(100);
    assertThat(only(s.schedule(gpuPod("fifth", 1, 4000))).placement()).isEqualTo(at(2, 1));
    GpuScheduler strict = GpuScheduler.create(SchedulerConfig.builder().strictUpstream(true).build());
    strict.upsertNode("n1", List.of(quarterCores), Map.of());
    for (int i = 0; i < 4; i++) {
      assertThat(strict.schedule(gpuPod("p" + i, 1, 4000)).scheduled()).isTrue();
    }
    assertThat(strict.schedule(gpuPod("fifth", 1, 4000)).failedNodes())
        .containsEntry("n1", "1/1 CardComputeUnitsExhausted");
  }

  @Test
  void balancedPackingExample() {
    s.upsertNode("n1", List.of(Fx.migGpu("GPU-a", 0, "NVIDIA A100-SXM4-40GB", Fx.a100Profiles())), Map.of());
    assertThat(only(s.schedule(gpuPod("p1", 1, 20000))))
        .isEqualTo(MigAllocation.reserve(0, 0, "GPU-a", "3g.20gb", at(4, 4)));
    assertThat(only(s.schedule(gpuPod("p2", 1, 10000))))
        .isEqualTo(MigAllocation.reserve(0, 0, "GPU-a", "2g.10gb", at(0, 2)));
    assertThat(only(s.schedule(gpuPod("p3", 1, 5000))))
        .isEqualTo(MigAllocation.reserve(0, 0, "GPU-a", "1g.5gb", at(3, 1)));
    assertThat(only(s.schedule(gpuPod("p4", 1, 5000))))
        .isEqualTo(MigAllocation.reserve(0, 0, "GPU-a", "1g.5gb", at(2, 1)));
  }

  @Test
  void oneContainerMayTakeTwoInstancesOfOneGpu() {
    s.upsertNode("n1", List.of(Fx.migGpu("GPU-a", 0, "NVIDIA A100-SXM4-40GB", Fx.a100Profiles())), Map.of());
    Decision d = s.schedule(gpuPod("p", 2, 8000));
    assertThat(d.migAllocations()).containsExactly(
        MigAllocation.reserve(0, 0, "GPU-a", "2g.10gb", at(0, 2)),
        MigAllocation.reserve(0, 1, "GPU-a", "2g.10gb", at(2, 2)));
    assertThat(d.devices().all()).extracting(ContainerDevice::uuid).containsExactly("GPU-a", "GPU-a");
    // collapsed: one booking on the GPU with two slots
    assertThat(s.usage().pods().get(0).devices()).containsExactly(ContainerDevice.nvidia("GPU-a", 20480, 56));
    assertThat(s.usage().node("n1").orElseThrow().gpus().get(0).used()).isEqualTo(2);
  }

  @Test
  void severalContainersOfOnePodGetDisjointInstances() {
    s.upsertNode("n1", List.of(Fx.migGpu("GPU-a", 0, "NVIDIA A100-SXM4-40GB", Fx.a100Profiles())), Map.of());
    PodSpec p = new PodSpec("default", "p", "uid-p", Map.of(),
        List.of(c("init", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "8000")),
        List.of(c("a", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "8000"),
            c("b", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "20000")));
    Decision d = s.schedule(p);
    assertThat(d.migAllocations()).containsExactly(
        MigAllocation.reserve(0, 0, "GPU-a", "2g.10gb", at(0, 2)),
        MigAllocation.reserve(1, 0, "GPU-a", "2g.10gb", at(2, 2)),
        MigAllocation.reserve(2, 0, "GPU-a", "3g.20gb", at(4, 4)));
  }

  @Test
  void perProfileInstanceLimitsFromTheTableApply() {
    List<Placement> ones = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      ones.add(at(i, 1));
    }
    GpuDevice me = Fx.migGpu("GPU-m", 0, "NVIDIA A100-SXM4-40GB", List.of(new MigProfile("1g.5gb+me", 5120, 14, 1, ones)));
    s.upsertNode("n1", List.of(me), Map.of());
    assertThat(only(s.schedule(gpuPod("p1", 1, 4000))).placement()).isEqualTo(at(6, 1));
    assertThat(s.schedule(gpuPod("p2", 1, 4000)).failedNodes()).containsEntry("n1", "1/1 CardMigTopologyInfeasible");
  }

  @Test
  void templatesMatchRealDriverNames() {
    s.upsertNode("n1", List.of(new GpuDevice("GPU-p", 0, 10, 81920, 100, "NVIDIA A100 80GB PCIe", 0, "mig", true,
        List.of())), Map.of());
    assertThat(only(s.schedule(gpuPod("p1", 1, 30000))))
        .isEqualTo(MigAllocation.reserve(0, 0, "GPU-p", "3g.40gb", at(4, 4)));
    // the chart's "7g.79gb" template maps onto the table's 7g.80gb on an empty GPU
    GpuScheduler fresh = GpuScheduler.create(SchedulerConfig.defaults());
    fresh.upsertNode("n1", List.of(new GpuDevice("GPU-p", 0, 10, 81920, 100, "NVIDIA A100 80GB PCIe", 0, "mig", true,
        List.of())), Map.of());
    Decision whole = fresh.schedule(gpuPod("w", 1, 70000));
    assertThat(only(whole)).isEqualTo(MigAllocation.reserve(0, 0, "GPU-p", "7g.80gb", at(0, 8)));
    assertThat(whole.devices().all()).containsExactly(ContainerDevice.nvidia("GPU-p", 80896, 100));
  }

  @Test
  void customTemplatesReachH100ByTableKey() {
    SchedulerConfig cfg = SchedulerConfig.builder().knownMigGeometries(List.of(new MigGeometry(List.of("H100-80GB"),
        List.of(List.of(new MigTemplate("1g.10gb", 10240, 7, 0)), List.of(new MigTemplate("3g.40gb", 40960, 2, 0))))))
        .build();
    GpuScheduler h = GpuScheduler.create(cfg);
    h.upsertNode("n1", List.of(new GpuDevice("GPU-h", 0, 7, 81559, 100, "NVIDIA H100 80GB HBM3", 0, "mig", true,
        List.of())), Map.of());
    Decision d = h.schedule(gpuPod("p", 1, 9000));
    assertThat(only(d)).isEqualTo(MigAllocation.reserve(0, 0, "GPU-h", "1g.10gb", at(6, 1)));
    // cores not configured: derived from the profile table
    assertThat(d.devices().all().get(0).usedcores()).isBetween(13, 16);
  }

  @Test
  void aMigGpuWithoutKnownProfilesTakesNothing() {
    s.upsertNode("n1", List.of(new GpuDevice("GPU-x", 0, 7, 81559, 100, "NVIDIA H100 80GB HBM3", 0, "mig", true,
        List.of())), Map.of());
    Decision d = s.schedule(gpuPod("p", 1, 1000));
    assertThat(d.failedNodes()).containsEntry("n1", "1/1 CardMigTopologyInfeasible");
    assertThat(d.explain("n1").get(0).detail()).contains("no MIG profiles known");
  }

  @Test
  void onePoolUnlessTheModeIsPinned() {
    GpuDevice core = Fx.gpu("GPU-core", 0, 40960);
    GpuDevice mig = Fx.migGpu("GPU-mig", 1, "NVIDIA A100-SXM4-40GB", Fx.a100Profiles());
    s.upsertNode("n1", List.of(core, mig), Map.of());
    PodSpec pinnedMig = pod("m", Map.of(Annotations.VGPU_MODE, "mig"), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem", "8000"));
    assertThat(s.filter(pinnedMig).devices().all()).extracting(ContainerDevice::uuid).containsExactly("GPU-mig");
    PodSpec pinnedCore = pod("h", Map.of(Annotations.VGPU_MODE, "hami-core"), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem", "8000"));
    assertThat(s.filter(pinnedCore).devices().all()).extracting(ContainerDevice::uuid).containsExactly("GPU-core");
    PodSpec free = gpuPod("f", 2, 8000);
    Decision both = s.schedule(free);
    assertThat(both.devices().all()).extracting(ContainerDevice::uuid).containsExactlyInAnyOrder("GPU-core", "GPU-mig");
    assertThat(both.migAllocations()).extracting(MigAllocation::gpuUUID).containsExactly("GPU-mig");
  }

  @Test
  void nodeInsufficientDeviceIsSkippedWhenAMigGpuCanServeSeveral() {
    s.upsertNode("n1", List.of(Fx.migGpu("GPU-a", 0, "NVIDIA A100-SXM4-40GB", Fx.a100Profiles())), Map.of());
    PodSpec pinnedCore = pod("h", Map.of(Annotations.VGPU_MODE, "hami-core"), c("main", "nvidia.com/gpu", "2",
        "nvidia.com/gpumem", "1000"));
    assertThat(s.filter(pinnedCore).failedNodes()).containsEntry("n1", "NodeInsufficientDevice");
    assertThat(s.filter(gpuPod("p", 3, 5000)).scheduled()).isTrue();
  }

  @Test
  void inconsistentMigRecordsFailClosed() {
    GpuDevice mig = Fx.migGpu("GPU-mig", 0, "NVIDIA A100-SXM4-40GB", Fx.a100Profiles());
    GpuDevice core = Fx.gpu("GPU-core", 1, 40960);
    s.upsertNode("n1", List.of(mig, core), Map.of());
    // a pod using the MIG GPU without a reservation
    s.upsertPod(Fx.alloc("bare", "default", "n1", ContainerDevice.nvidia("GPU-mig", 10240, 28)));
    // a pod with a reservation on the hami-core GPU
    s.upsertPod(new PodAllocation("odd", "default", "odd", "n1",
        new PodDevices(List.of(List.of(ContainerDevice.nvidia("GPU-core", 1000, 0)))),
        List.of(MigAllocation.reserve(0, 0, "GPU-core", "1g.5gb", at(0, 1))), 0, false));
    ClusterUsage.NodeUsage n = s.usage().node("n1").orElseThrow();
    assertThat(n.gpus()).extracting(ClusterUsage.GpuUsage::healthy).containsExactly(false, false);
    Decision d = s.filter(gpuPod("p", 1, 100));
    assertThat(d.failedNodes()).containsEntry("n1", "2/2 CardNotHealth");
    assertThat(d.explain("n1")).extracting(Decision.GpuNote::detail).allMatch(t -> t.contains("fails closed"));
    s.removePod("bare");
    s.removePod("odd");
    assertThat(s.usage().node("n1").orElseThrow().gpus()).allMatch(ClusterUsage.GpuUsage::healthy);
  }

  @Test
  void legacyTemplateUuidsBookTheBaseGpuAndFailClosed() {
    GpuDevice mig = new GpuDevice("GPU-old", 0, 10, 40960, 100, "NVIDIA A100-SXM4-40GB", 0, "mig", true, List.of());
    s.upsertNode("n1", List.of(mig), Map.of());
    s.upsertPod(Fx.alloc("legacy", "default", "n1", ContainerDevice.nvidia("GPU-old[1-0]", 10240, 0)));
    ClusterUsage.GpuUsage g = s.usage().node("n1").orElseThrow().gpus().get(0);
    assertThat(g.usedMemory()).isEqualTo(10240);
    assertThat(g.healthy()).isFalse();
  }

  @Test
  void reservationsReadBackFromAnnotationsOccupyTheirPlacements() {
    s.upsertNode("n1", List.of(Fx.migGpu("GPU-a", 0, "NVIDIA A100-SXM4-40GB", Fx.a100Profiles())), Map.of());
    s.upsertPod(new PodAllocation("running", "default", "running", "n1",
        new PodDevices(List.of(List.of(ContainerDevice.nvidia("GPU-a", 20480, 42)))),
        List.of(MigAllocation.reserve(0, 0, "GPU-a", "3g.20gb", at(0, 4)).withRuntime("MIG-1", 1, 0)), 0, false));
    // the running 3g.20gb at {0,4} is never moved: the new 2g.10gb goes to {4,2}
    assertThat(only(s.schedule(gpuPod("p", 1, 8000))).placement()).isEqualTo(at(4, 2));
  }
}
