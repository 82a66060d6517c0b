package dev.hamij.core.sim;

import static dev.hamij.core.sim.SimFx.share;
import static dev.hamij.core.sim.SimFx.whole;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.PodDevices;
import dev.hamij.api.testing.Property;
import dev.hamij.core.PodAllocation;
import dev.hamij.core.SchedulerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulationTest {

  private static final SchedulerConfig BASE = SchedulerConfig.defaults();

  private static SimResult run(SimCluster c, Workload w, String policy, Simulation.Options o) {
    return Simulation.of(c, w, BASE, o).run(SimPolicy.parse(policy), Simulation.Progress.NONE);
  }

  private static Simulation.Options checked() {
    return Simulation.Options.defaults().withCheckEvery(1);
  }

  @Test
  void noPolicyEverOverCommitsAndEveryRunIsDeterministic() {
    Property.forAll(SimFx.scenarios()).seeds(40).maxSize(20).check(s -> {
      Simulation.Options o = checked().withSeed(s.seed()).withQueue(s.queue())
          .withTieRule(s.seed() % 2 == 0 ? Simulation.TieRule.NAME : Simulation.TieRule.SEEDED_ORDER);
      SimResult first = Simulation.of(s.cluster(), s.workload(), BASE, o).run(s.policy(), Simulation.Progress.NONE);
      SimResult again = Simulation.of(s.cluster(), s.workload(), BASE, o).run(s.policy(), Simulation.Progress.NONE);
      assertThat(again.withoutLatency()).isEqualTo(first.withoutLatency());
      SimResult.Totals t = first.totals();
      assertThat(t.placed() + t.failed() + t.pendingAtEnd()).isEqualTo(t.pods());
      assertThat(t.completed()).isEqualTo(t.placed());
    });
  }

  @Test
  void theInvariantCheckCatchesAnOverCommittedGpu() {
    SimNode node = SimFx.nodes("n", 1, 1, false, 8000).get(0);
    String gpu = node.gpus().get(0).id();
    PodAllocation tooBig = new PodAllocation("big", "default", "big", "n-0",
        new PodDevices(List.of(List.of(ContainerDevice.nvidia(gpu, 20000, 50)))), List.of(), 0, false);
    SimCluster c = new SimCluster(List.of(node), List.of(new SimCluster.Resident(tooBig, 1000, 1024)));
    Workload w = Workload.of(List.of(share("p", 10, 0, SimPod.FOREVER)));
    assertThatThrownBy(() -> run(c, w, "binpack", checked()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("GPU-n-0-0")
        .hasMessageContaining("20000 of 16000 MiB");
  }

  @Test
  void queuedPodsWaitForDeparturesAndFailedOnesAreReportedWithReasons() {
    SimCluster c = SimCluster.of(SimFx.nodes("n", 1, 1, false, 8000));
    Workload w = Workload.of(List.of(whole("a", 1, 0, 1000), whole("b", 1, 10, 1000)));
    SimResult queued = run(c, w, "binpack", checked());
    assertThat(queued.totals().placed()).isEqualTo(2);
    assertThat(queued.totals().failed()).isZero();
    assertThat(queued.samples()).anyMatch(x -> x.pending() == 1);
    assertThat(queued.totals().endMillis()).isEqualTo(2000);
    assertThat(queued.failureReasons()).containsOnlyKeys("CardInsufficientMemory");

    SimResult dropped = run(c, w, "binpack", checked().withQueue(false));
    assertThat(dropped.totals().placed()).isEqualTo(1);
    assertThat(dropped.totals().failed()).isEqualTo(1);
    assertThat(dropped.failedByClass()).containsExactly(Map.entry("1-gpu", 1L));
  }

  @Test
  void kubeSchedulerCpuAndMemoryCheckComesFirst() {
    SimCluster c = SimCluster.of(SimFx.nodes("n", 2, 1, false, 4000));
    SimPod hungry = SimFx.pod("hungry", 6000, 0, SimPod.FOREVER, Map.of(), "nvidia.com/gpu", "1");
    SimPod cpuOnly = SimFx.pod("cpu", 3000, 1, SimPod.FOREVER, Map.of());
    SimResult r = run(c, Workload.of(List.of(hungry, cpuOnly)), "binpack", checked().withQueue(false));
    assertThat(r.failureReasons()).containsOnlyKeys(Simulation.NO_CPU_MEMORY);
    assertThat(r.failedByClass()).containsOnlyKeys("1-gpu");
    assertThat(r.totals().placed()).isEqualTo(1);
  }

  @Test
  void allocationIsBucketedByArrivedWorkload() {
    SimCluster c = SimCluster.of(SimFx.nodes("n", 1, 2, false, 64_000));
    List<SimPod> pods = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      pods.add(whole("w" + i, 1, i, SimPod.FOREVER));
    }
    SimResult r = run(c, Workload.of(pods), "binpack", checked().withQueue(false));
    assertThat(r.allocationAt(50)).isEqualTo(50.0);
    assertThat(r.allocationAt(100)).isEqualTo(100.0);
    assertThat(r.allocationAt(200)).isEqualTo(100.0);
    assertThat(r.allocationAt(51)).isEqualTo(50.0);
    assertThat(r.allocationAt(25)).isNaN();
    assertThat(r.allocationByArrived().get(1)).isNull();
    assertThat(r.totals().atLastArrival().gpusFull()).isEqualTo(2);
    assertThat(r.totals().failed()).isEqualTo(2);
  }

  @Test
  void theMigPoolCarvesInstancesAndReportsLayouts() {
    SimCluster c = SimCluster.of(SimFx.nodes("n", 1, 1, false, 64_000).stream()
        .map(n -> n.withGpus(List.of(dev.hamij.api.GpuDevice.hamiCore("GPU-a", 0, 10, 40960, 100, SimFx.A100, 0))))
        .toList());
    List<SimPod> pods = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      pods.add(SimFx.pod("m" + i, 1000, i, i == 0 ? 1 : SimPod.FOREVER, Map.of(), "nvidia.com/gpu", "1",
          "nvidia.com/gpumem", "9000"));
    }
    SimResult mig = run(c, Workload.of(pods), "binpack@mig", checked());
    assertThat(mig.heat().get(0).gpus().get(0).mig()).isTrue();
    assertThat(mig.mig().created()).isEqualTo(3);
    assertThat(mig.mig().destroyed()).isEqualTo(1);
    assertThat(mig.mig().layouts()).containsOnlyKeys("1g.10gb + 1g.10gb");
    SimResult core = run(c, Workload.of(pods), "binpack", checked());
    assertThat(core.mig().layouts()).isEmpty();
    assertThat(core.heat().get(0).gpus().get(0).mig()).isFalse();
  }

  @Test
  void aNewSeedChangesTheNodeOrderButNotTheWorkload() {
    SimCluster c = SimCluster.of(SimFx.nodes("n", 6, 1, false, 64_000));
    Workload w = Workload.of(List.of(share("a", 40, 0, SimPod.FOREVER)));
    Simulation.Options o = checked().withTieRule(Simulation.TieRule.SEEDED_ORDER);
    List<String> chosen = new ArrayList<>();
    for (long seed = 1; seed <= 8; seed++) {
      SimResult r = run(c, w, "binpack", o.withSeed(seed));
      chosen.add(r.heat().stream().filter(n -> n.gpus().get(0).share() > 0).findFirst().orElseThrow().node());
    }
    assertThat(chosen.stream().distinct().count()).isGreaterThan(1);
    SimResult byName = run(c, w, "binpack", checked());
    assertThat(byName.heat().get(0).gpus().get(0).share()).isEqualTo(0.4);
  }
}
