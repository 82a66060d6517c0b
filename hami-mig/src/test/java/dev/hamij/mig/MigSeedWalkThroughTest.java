package dev.hamij.mig;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiConfig;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.MigProfile;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;
import dev.hamij.api.Placement;
import dev.hamij.core.Decision;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.PodSpec;
import dev.hamij.core.SchedulerConfig;
import dev.hamij.nvml.SimulatedNvml;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The seed's walk-through on an A100-40GB, end to end: scheduler decision → reservation annotation → realisation
 * on the simulated GPU → identity write-back → pods end → instances destroyed → the GPU is whole again.
 */
class MigSeedWalkThroughTest {

  private static PodSpec pod(String name, String mem) {
    return PodSpec.of("default", name, "uid-" + name, Map.of(),
        PodSpec.ContainerSpec.limits("main", Map.of("nvidia.com/gpu", "1", "nvidia.com/gpumem", mem)));
  }

  @Test
  void twoSmallPodsThenALargeOneThenEverythingEnds() {
    // the node publishes mode mig; without migProfiles the scheduler uses the chart's A100-40GB templates
    walkThrough(List.of(), "20000", "1/1 CardMigTopologyInfeasible");
  }

  /**
   * With the profiles as NVML reports them (3g.20gb has 19968 MiB, not the template's 20480), the seed's
   * {@code gpumem: 20000} pod fits no profile; 19000 MiB takes the same 3g.20gb at {4,4}.
   */
  @Test
  void theSameWithTheProfilesAsNvmlReportsThem() {
    MigProfileTable.Model a100 = MigProfileTable.bundled().forKey("A100-40GB").orElseThrow();
    List<MigProfile> advertised = List.of("1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb").stream()
        .map(n -> a100.advertised(a100.profile(n).orElseThrow())).toList();
    GpuScheduler scheduler = GpuScheduler.create(SchedulerConfig.defaults());
    scheduler.upsertNode("gpu-node", List.of(a100Device(advertised)), Map.of());
    scheduler.schedule(pod("p1", "8000"));
    scheduler.schedule(pod("p2", "8000"));
    assertThat(scheduler.schedule(pod("p3", "20000")).failedNodes())
        .containsEntry("gpu-node", "1/1 CardMigTopologyInfeasible");

    // a fourth pod is refused for the placement, not for the rounded-up core shares 29 + 29 + 43 = 101: on MIG GPUs
    // the placement rules decide
    walkThrough(advertised, "19000", "1/1 CardMigTopologyInfeasible");
  }

  private static GpuDevice a100Device(List<MigProfile> profiles) {
    return new GpuDevice(SimGpus.A100_UUID, 0, 10, 40960, 100, "NVIDIA A100-SXM4-40GB", 0, GpuDevice.MODE_MIG, true,
        profiles);
  }

  private void walkThrough(List<MigProfile> advertised, String largeMemory, String refusal) {
    SimulatedNvml nvml = SimGpus.oneA100();
    FakeCluster cluster = new FakeCluster();
    HamiConfig config = HamiConfig.defaults().withNodeConfigs(List.of(
        new NodeConfig("gpu-node", "mig", null, null, null, null, null, null, null, null, null)));
    GpuScheduler scheduler = GpuScheduler.create(SchedulerConfig.of(config));
    scheduler.upsertNode("gpu-node", List.of(a100Device(advertised)), Map.of());

    try (MigManager mig = MigManager.create(nvml, MigSettings.of(config, "gpu-node"), cluster)) {
      assertThat(mig.reconcileOnce().synced()).isTrue();

      PodRef p1 = admit(scheduler, cluster, mig, pod("p1", "8000"));
      PodRef p2 = admit(scheduler, cluster, mig, pod("p2", "8000"));
      PodRef p3 = admit(scheduler, cluster, mig, pod("p3", largeMemory));
      Decision refused = scheduler.schedule(pod("p4", largeMemory));

      assertThat(SimGpus.live(nvml, 0)).hasToString("[2g.10gb@0:2#3, 2g.10gb@2:2#4, 3g.20gb@4:4#2]");
      assertThat(refused.scheduled()).isFalse();
      assertThat(refused.failedNodes()).containsEntry("gpu-node", refusal);
      assertThat(refused.explain("gpu-node")).singleElement().satisfies(n -> assertThat(n.gpu())
          .isEqualTo(SimGpus.A100_UUID));

      // every pod records the identity of exactly the device it got
      for (PodRef p : List.of(p1, p2, p3)) {
        MigAllocation a = MigAllocationsCodec.decode(cluster.allocations(p), p.ref()).get(0);
        assertThat(a.runtimeReady()).isTrue();
        assertThat(SimGpus.live(nvml, 0)).anySatisfy(l -> {
          assertThat(l.gi()).isEqualTo(a.gpuInstanceID());
          assertThat(l.migUuids()).containsExactly(a.migUUID());
          assertThat(new Placement(l.start(), l.size())).isEqualTo(a.placement());
        });
      }

      for (PodRef p : List.of(p1, p2, p3)) {
        cluster.endPod(p);
        scheduler.removePod(p.uid());
      }
      ReconcileReport report = mig.reconcileOnce();
      assertThat(report.destroyed()).hasSize(3);
      assertThat(SimGpus.live(nvml, 0)).isEmpty();
      assertThat(mig.instances()).isEmpty();

      // the GPU is whole again: the scheduler and the node can give all of it to one pod
      PodRef whole = admit(scheduler, cluster, mig, pod("whole", "40000"));
      assertThat(SimGpus.live(nvml, 0)).hasToString("[7g.40gb@0:8#0]");
      assertThat(MigAllocationsCodec.decode(cluster.allocations(whole), whole.ref()).get(0).profile())
          .isEqualTo("7g.40gb");
    }
  }

  /** Schedules the pod, writes its annotations to the fake API server and runs the plugin's Allocate. */
  private static PodRef admit(GpuScheduler scheduler, FakeCluster cluster, MigManager mig, PodSpec spec) {
    Decision d = scheduler.schedule(spec);
    assertThat(d.scheduled()).as("scheduled %s: %s", spec.name(), d).isTrue();
    String allocations = d.annotations(Instant.EPOCH).get(Annotations.MIG_ALLOCATIONS);
    PodRef pod = cluster.addPod(spec.name(), allocations);
    List<String> gpus = d.devices().containers().get(0).stream().map(ContainerDevice::uuid).toList();
    ContainerMig result = mig.realise(pod, allocations, 0, gpus);
    assertThat(result.devices()).singleElement().satisfies(dev -> assertThat(dev.created()).isTrue());
    assertThat(result.migUuids()).singleElement().asString().startsWith("MIG-");
    return pod;
  }
}
