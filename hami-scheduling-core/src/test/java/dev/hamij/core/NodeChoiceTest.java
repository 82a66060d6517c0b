package dev.hamij.core;

import static dev.hamij.core.Fx.alloc;
import static dev.hamij.core.Fx.c;
import static dev.hamij.core.Fx.gpu;
import static dev.hamij.core.Fx.gpuPod;
import static dev.hamij.core.Fx.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** scheduler.md §5.11: node score, node policy and the deterministic tie-break. */
class NodeChoiceTest {

  private final GpuScheduler s = GpuScheduler.create(SchedulerConfig.defaults());

  private void twoNodesOneBusy() {
    s.upsertNode("busy", List.of(gpu("b0", 0, 10000), gpu("b1", 1, 10000)), Map.of());
    s.upsertNode("idle", List.of(gpu("i0", 0, 10000), gpu("i1", 1, 10000)), Map.of());
    s.upsertPod(alloc("old", "default", "busy", ContainerDevice.nvidia("b0", 5000, 50)));
  }

  @Test
  void nodeScoreIsTheUsageBeforeThePod() {
    twoNodesOneBusy();
    // busy: U=1/20 slots, C=50/200 cores, M=5000/20000 MiB -> 10 * (0.05 + 0.25 + 0.25) = 5.5
    Decision d = s.filter(gpuPod("p", 1, 1000));
    assertThat(d.nodeResults()).extracting(Decision.NodeResult::node, Decision.NodeResult::score)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("busy", 5.5f),
            org.assertj.core.groups.Tuple.tuple("idle", 0f));
    assertThat(s.usage().node("busy").orElseThrow().score()).isEqualTo(5.5f);
  }

  @Test
  void binpackPrefersTheBusiestFittingNodeAndSpreadTheIdlest() {
    twoNodesOneBusy();
    assertThat(s.filter(gpuPod("p", 1, 1000), List.of("idle", "busy")).node()).contains("busy");
    PodSpec spread = pod("s", Map.of(Annotations.NODE_SCHEDULER_POLICY, "spread"),
        c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    assertThat(s.filter(spread, List.of("idle", "busy")).node()).contains("idle");
    PodSpec other = pod("o", Map.of(Annotations.NODE_SCHEDULER_POLICY, "whatever"),
        c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    assertThat(s.filter(other, List.of("idle", "busy")).node()).contains("busy");
    GpuScheduler spreadDefault = GpuScheduler.create(SchedulerConfig.builder().nodePolicy("spread").build());
    spreadDefault.upsertNode("busy", List.of(gpu("b0", 0, 10000)), Map.of());
    spreadDefault.upsertNode("idle", List.of(gpu("i0", 0, 10000)), Map.of());
    spreadDefault.upsertPod(alloc("old", "default", "busy", ContainerDevice.nvidia("b0", 5000, 50)));
    assertThat(spreadDefault.filter(gpuPod("p", 1, 1000)).node()).contains("idle");
  }

  @Test
  void theBestNodeThatDoesNotFitIsSkipped() {
    twoNodesOneBusy();
    s.upsertPod(alloc("big", "default", "busy", ContainerDevice.nvidia("b1", 9000, 0)));
    // busy no longer has a GPU with 6000 MiB free: the idle node is chosen even under binpack
    Decision d = s.filter(gpuPod("p", 1, 6000));
    assertThat(d.node()).contains("idle");
    assertThat(d.fittingNodes()).extracting(Decision.NodeResult::node).containsExactly("idle");
    assertThat(d.failedNodes()).containsOnlyKeys("busy");
  }

  @Test
  void equalScoresGoToTheSmallestNodeNameWhateverTheCandidateOrder() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String n = "node-" + (char) ('a' + (i * 7) % 20);
      names.add(n);
      s.upsertNode(n, List.of(gpu(n + "-g0", 0, 10000)), Map.of());
    }
    Random random = new Random(7);
    for (int round = 0; round < 10; round++) {
      Collections.shuffle(names, random);
      assertThat(s.filter(gpuPod("p", 1, 1000), names).node()).contains("node-a");
      PodSpec spread = pod("s", Map.of(Annotations.NODE_SCHEDULER_POLICY, "spread"),
          c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
      assertThat(s.filter(spread, names).node()).contains("node-a");
    }
  }

  @Test
  void scheduleBooksSoTheNextPodSeesIt() {
    s.upsertNode("a", List.of(gpu("a0", 0, 10000)), Map.of());
    s.upsertNode("b", List.of(gpu("b0", 0, 10000)), Map.of());
    Decision first = s.schedule(gpuPod("p1", 1, 6000));
    Decision second = s.schedule(gpuPod("p2", 1, 6000));
    assertThat(first.node()).contains("a");
    assertThat(second.node()).contains("b");
    Decision third = s.schedule(gpuPod("p3", 1, 6000));
    assertThat(third.outcome()).isEqualTo(Decision.Outcome.UNSCHEDULABLE);
    assertThat(third.failedNodes()).containsOnly(Map.entry("a", "1/1 CardInsufficientMemory"),
        Map.entry("b", "1/1 CardInsufficientMemory"));
  }

  @Test
  void filterReservesNothingAndIgnoresThePodsOwnAllocation() {
    s.upsertNode("a", List.of(gpu("a0", 0, 10000)), Map.of());
    Decision scheduled = s.schedule(gpuPod("p1", 1, 8000));
    assertThat(scheduled.node()).contains("a");
    // the same pod re-filtered does not compete with its own booking
    assertThat(s.filter(gpuPod("p1", 1, 8000)).scheduled()).isTrue();
    assertThat(s.filter(gpuPod("p2", 1, 8000)).scheduled()).isFalse();
    assertThat(s.usage().pods()).hasSize(1);
    // re-scheduling replaces the pod's previous booking instead of adding a second one
    assertThat(s.schedule(gpuPod("p1", 1, 8000)).scheduled()).isTrue();
    assertThat(s.usage().node("a").orElseThrow().gpus().get(0).usedMemory()).isEqualTo(8000);
    assertThat(s.release("uid-p1")).isTrue();
    assertThat(s.usage().node("a").orElseThrow().gpus().get(0).usedMemory()).isZero();
    assertThat(s.release("uid-p1")).isFalse();
  }

  @Test
  void scheduleOverNoCandidatesIsUnschedulable() {
    Decision d = s.schedule(gpuPod("p", 1, 1000), List.of());
    assertThat(d.outcome()).isEqualTo(Decision.Outcome.UNSCHEDULABLE);
    assertThat(d.failedNodes()).isEmpty();
  }

  @Test
  void simulationStartsFromEmptyNodesButKeepsTheQuota() {
    twoNodesOneBusy();
    List<GpuScheduler.NodeSpec> given = List.of(
        new GpuScheduler.NodeSpec("busy", List.of(gpu("b0", 0, 10000)), Map.of()),
        new GpuScheduler.NodeSpec("small", List.of(gpu("s0", 0, 4000)), Map.of()),
        new GpuScheduler.NodeSpec("broken", List.of(), Map.of()));
    Decision d = s.simulate(gpuPod("p", 1, 9000), given);
    assertThat(d.node()).contains("busy");
    assertThat(d.failedNodes()).containsOnly(Map.entry("small", "1/1 CardInsufficientMemory"),
        Map.entry("broken", "node unregistered"));
    assertThat(s.usage().pods()).hasSize(1);
    s.setQuota("default", "q", Fx.kv("limits.nvidia.com/gpumem", "12000"));
    assertThat(s.simulate(gpuPod("p", 1, 9000), given).scheduled()).isFalse();
  }
}
