package dev.hamij.core;

import static dev.hamij.core.Fx.alloc;
import static dev.hamij.core.Fx.c;
import static dev.hamij.core.Fx.gpu;
import static dev.hamij.core.Fx.gpuPod;
import static dev.hamij.core.Fx.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.PodDevices;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** scheduler.md §5.5–5.9: fit rules and reasons on one node. */
class FitTest {

  private final GpuScheduler s = GpuScheduler.create(SchedulerConfig.defaults());

  private List<String> chosenGpus(Decision d) {
    return d.devices().all().stream().map(ContainerDevice::uuid).toList();
  }

  @Test
  void memoryIsBookedPerGpuAndAnnotationsAreHamis() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000), gpu("GPU-1", 1, 16000)), Map.of());
    Decision d = s.schedule(pod("p", Map.of(), c("main", "nvidia.com/gpu", "2", "nvidia.com/gpumem", "4096",
        "nvidia.com/gpucores", "30")));
    assertThat(d.scheduled()).isTrue();
    assertThat(d.node()).contains("n1");
    Map<String, String> a = d.annotations(Instant.ofEpochSecond(1_750_000_000L));
    assertThat(a).containsEntry(Annotations.VGPU_NODE, "n1")
        .containsEntry(Annotations.VGPU_TIME, "1750000000")
        .containsEntry(Annotations.DEVICES_TO_ALLOCATE, "GPU-1,NVIDIA,4096,30:GPU-0,NVIDIA,4096,30:;")
        .containsEntry(Annotations.DEVICES_ALLOCATED, "GPU-1,NVIDIA,4096,30:GPU-0,NVIDIA,4096,30:;")
        .doesNotContainKey(Annotations.MIG_ALLOCATIONS);
    ClusterUsage.NodeUsage n = s.usage().node("n1").orElseThrow();
    assertThat(n.gpus()).allSatisfy(g -> {
      assertThat(g.used()).isEqualTo(1);
      assertThat(g.usedMemory()).isEqualTo(4096);
      assertThat(g.usedCores()).isEqualTo(30);
    });
  }

  @Test
  void wholeCardAndPercentageResolveToTheChosenGpusMemory() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    Decision half = s.schedule(pod("p1", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem-percentage", "50")));
    assertThat(half.devices().all()).containsExactly(ContainerDevice.nvidia("GPU-0", 8000, 0));
    Decision whole = s.schedule(pod("p2", Map.of(), c("main", "nvidia.com/gpu", "1")));
    assertThat(whole.scheduled()).isFalse();
    assertThat(whole.failedNodes()).containsEntry("n1", "1/1 CardInsufficientMemory");
  }

  @Test
  void reasonsAreCountedPerGpuAndSortedAsStrings() {
    List<GpuDevice> devices = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      devices.add(gpu("GPU-" + i, i, 1000));
    }
    devices.add(gpu("GPU-10", 10, 16000).withHealth(false));
    devices.add(gpu("GPU-11", 11, 16000).withHealth(false));
    s.upsertNode("n1", devices, Map.of());
    Decision d = s.filter(gpuPod("p", 1, 8000), List.of("n1", "ghost"));
    assertThat(d.failedNodes()).containsExactly(
        Map.entry("n1", "10/12 CardInsufficientMemory, 2/12 CardNotHealth"),
        Map.entry("ghost", "node unregistered"));
  }

  @Test
  void partialSelectionReportsAllocatedCardsInsufficientRequest() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000), gpu("GPU-1", 1, 1000)), Map.of());
    Decision d = s.filter(gpuPod("p", 2, 8000), List.of("n1"));
    assertThat(d.failedNodes()).containsEntry("n1", "1/2 AllocatedCardsInsufficientRequest, 1/2 CardInsufficientMemory");
  }

  @Test
  void moreGpusThanTheNodeHasIsNodeInsufficientDevice() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000), gpu("GPU-1", 1, 16000)), Map.of());
    assertThat(s.filter(gpuPod("p", 3, 100), List.of("n1")).failedNodes())
        .containsEntry("n1", "NodeInsufficientDevice");
  }

  @Test
  void exclusiveUseNeedsAnIdleGpuAndThenExhaustsIt() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    s.upsertPod(alloc("busy", "default", "n1", ContainerDevice.nvidia("GPU-0", 1000, 0)));
    PodSpec exclusive = pod("x", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000",
        "nvidia.com/gpucores", "100"));
    assertThat(s.filter(exclusive, List.of("n1")).failedNodes())
        .containsEntry("n1", "1/1 ExclusiveDeviceAllocateConflict");
    s.removePod("busy");
    Decision d = s.schedule(exclusive, List.of("n1"));
    assertThat(d.devices().all()).containsExactly(ContainerDevice.nvidia("GPU-0", 1000, 100));
    assertThat(s.filter(gpuPod("zero-cores", 1, 100), List.of("n1")).failedNodes())
        .containsEntry("n1", "1/1 CardComputeUnitsExhausted");
    assertThat(s.filter(pod("some", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100",
        "nvidia.com/gpucores", "10")), List.of("n1")).failedNodes())
        .containsEntry("n1", "1/1 CardInsufficientCore");
  }

  @Test
  void coresAbove100AreClampedTo100() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    Decision d = s.schedule(pod("p", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100",
        "nvidia.com/gpucores", "250")));
    assertThat(d.devices().all()).containsExactly(ContainerDevice.nvidia("GPU-0", 100, 100));
  }

  @Test
  void slotsRunOut() {
    s.upsertNode("n1", List.of(GpuDevice.hamiCore("GPU-0", 0, 2, 16000, 100, Fx.T4, 0)), Map.of());
    assertThat(s.schedule(gpuPod("a", 1, 100)).scheduled()).isTrue();
    assertThat(s.schedule(gpuPod("b", 1, 100)).scheduled()).isTrue();
    assertThat(s.schedule(gpuPod("c", 1, 100)).failedNodes()).containsEntry("n1", "1/1 CardTimeSlicingExhausted");
  }

  @Test
  void cordonedGpusTakeNoNewWork() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000), gpu("GPU-1", 1, 16000)),
        Map.of(Annotations.DEVICE_CORDON, " GPU-1 , "));
    Decision d = s.schedule(gpuPod("a", 1, 100));
    assertThat(chosenGpus(d)).containsExactly("GPU-0");
    assertThat(s.filter(gpuPod("b", 2, 100)).failedNodes())
        .containsEntry("n1", "1/2 AllocatedCardsInsufficientRequest, 1/2 CardCordoned");
    assertThat(s.usage().node("n1").orElseThrow().gpus().get(1).cordoned()).isTrue();
  }

  @Test
  void gpuTypeFiltersAreTrimmedUpperCasedSubstrings() {
    s.upsertNode("n1", List.of(Fx.typed("GPU-a100", 0, 40000, "NVIDIA A100-SXM4-40GB"),
        Fx.typed("GPU-a10", 1, 24000, "NVIDIA A10")), Map.of());
    PodSpec useA10 = pod("p", Map.of(Annotations.USE_GPU_TYPE, " a10 ,"), c("main", "nvidia.com/gpu", "2",
        "nvidia.com/gpumem", "100"));
    assertThat(s.filter(useA10).scheduled()).isTrue(); // "A10" is a substring of "A100" too
    PodSpec notA100 = pod("q", Map.of(Annotations.NOUSE_GPU_TYPE, "A100"), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem", "100"));
    assertThat(chosenGpus(s.filter(notA100))).containsExactly("GPU-a10");
    PodSpec blank = pod("r", Map.of(Annotations.USE_GPU_TYPE, " "), c("main", "nvidia.com/gpu", "2",
        "nvidia.com/gpumem", "100"));
    assertThat(s.filter(blank).scheduled()).isTrue();
    PodSpec h100 = pod("h", Map.of(Annotations.USE_GPU_TYPE, "H100"), c("main", "nvidia.com/gpu", "1"));
    assertThat(s.filter(h100).failedNodes()).containsEntry("n1", "2/2 CardTypeMismatch");
  }

  @Test
  void uuidFiltersApplyTogether() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000), gpu("GPU-1", 1, 16000), gpu("GPU-2", 2, 16000)), Map.of());
    PodSpec p = pod("p", Map.of(Annotations.USE_GPU_UUID, "GPU-0, GPU-1", Annotations.NOUSE_GPU_UUID, "GPU-1"),
        c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100"));
    assertThat(chosenGpus(s.filter(p))).containsExactly("GPU-0");
    PodSpec two = pod("q", Map.of(Annotations.USE_GPU_UUID, "GPU-0", Annotations.NOUSE_GPU_UUID, "GPU-0"),
        c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "100"));
    assertThat(s.filter(two).failedNodes()).containsEntry("n1", "3/3 CardUuidMismatch");
  }

  @Test
  void spreadPicksTheLeastUsedGpuAndBinpackTheMostUsed() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 10000), gpu("GPU-1", 1, 10000)), Map.of());
    s.upsertPod(alloc("old", "default", "n1", ContainerDevice.nvidia("GPU-0", 2000, 0)));
    assertThat(chosenGpus(s.filter(gpuPod("p", 1, 1000)))).containsExactly("GPU-1");
    PodSpec binpack = pod("b", Map.of(Annotations.GPU_SCHEDULER_POLICY, "binpack"),
        c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    assertThat(chosenGpus(s.filter(binpack))).containsExactly("GPU-0");
    GpuScheduler binpackDefault = GpuScheduler.create(SchedulerConfig.builder().gpuPolicy("binpack").build());
    binpackDefault.upsertNode("n1", List.of(gpu("GPU-0", 0, 10000), gpu("GPU-1", 1, 10000)), Map.of());
    binpackDefault.upsertPod(alloc("old", "default", "n1", ContainerDevice.nvidia("GPU-0", 2000, 0)));
    assertThat(chosenGpus(binpackDefault.filter(gpuPod("p", 1, 1000)))).containsExactly("GPU-0");
  }

  @Test
  void mutexTakesOnlyIdleGpus() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 10000), gpu("GPU-1", 1, 10000)), Map.of());
    s.upsertPod(alloc("old", "default", "n1", ContainerDevice.nvidia("GPU-1", 100, 0)));
    PodSpec p = pod("m", Map.of(Annotations.GPU_SCHEDULER_POLICY, "mutex"), c("main", "nvidia.com/gpu", "2",
        "nvidia.com/gpumem", "100"));
    assertThat(s.filter(p).failedNodes())
        .containsEntry("n1", "1/2 AllocatedCardsInsufficientRequest, 1/2 ExclusiveDeviceAllocateConflict");
  }

  @Test
  void numaBindKeepsAContainersGpusOnOneNumaNode() {
    // g3 (NUMA 1) is full, so NUMA 1 offers one GPU only; NUMA 0 offers two.
    s.upsertNode("n1", List.of(gpu("g0", 0, 10000, 0), gpu("g1", 1, 10000, 0), gpu("g2", 2, 10000, 1),
        gpu("g3", 3, 10000, 1)), Map.of());
    s.upsertPod(alloc("full", "default", "n1", ContainerDevice.nvidia("g3", 10000, 0)));
    PodSpec free = gpuPod("free", 2, 1000);
    assertThat(chosenGpus(s.filter(free))).containsExactly("g2", "g1");
    PodSpec bound = pod("bound", Map.of(Annotations.NUMA_BIND, "true"), c("main", "nvidia.com/gpu", "2",
        "nvidia.com/gpumem", "1000"));
    assertThat(chosenGpus(s.filter(bound))).containsExactly("g1", "g0");
    PodSpec three = pod("three", Map.of(Annotations.NUMA_BIND, "t"), c("main", "nvidia.com/gpu", "3",
        "nvidia.com/gpumem", "1000"));
    assertThat(s.filter(three).failedNodes())
        .containsEntry("n1", "1/4 CardInsufficientMemory, 1/4 NumaNotFit, 2/4 AllocatedCardsInsufficientRequest");
  }

  @Test
  void numaBindWithANonBooleanValueIsOff() {
    s.upsertNode("n1", List.of(gpu("g0", 0, 10000, 0), gpu("g1", 1, 10000, 1)), Map.of());
    PodSpec p = pod("p", Map.of(Annotations.NUMA_BIND, "yes"), c("main", "nvidia.com/gpu", "2",
        "nvidia.com/gpumem", "1000"));
    assertThat(s.filter(p).scheduled()).isTrue();
  }

  @Test
  void topologyAwarePicksTheBestLinkedPairAndTheLeastLinkedSingle() {
    String scores = "[{\"uuid\":\"g0\",\"score\":{\"g1\":100,\"g2\":10,\"g3\":10}},"
        + "{\"uuid\":\"g1\",\"score\":{\"g0\":100,\"g2\":10,\"g3\":10}},"
        + "{\"uuid\":\"g2\",\"score\":{\"g3\":50,\"g0\":10,\"g1\":10}},"
        + "{\"uuid\":\"g3\",\"score\":{\"g2\":50,\"g0\":10,\"g1\":10}}]";
    s.upsertNode("n1", List.of(gpu("g0", 0, 10000), gpu("g1", 1, 10000), gpu("g2", 2, 10000), gpu("g3", 3, 10000)),
        Map.of(Annotations.NODE_NVIDIA_SCORE, scores));
    Map<String, String> topo = Map.of(Annotations.GPU_SCHEDULER_POLICY, "topology-aware");
    PodSpec pair = pod("pair", topo, c("main", "nvidia.com/gpu", "2", "nvidia.com/gpumem", "1000"));
    assertThat(chosenGpus(s.filter(pair))).containsExactly("g1", "g0");
    PodSpec single = pod("single", topo, c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    // sums: g3 70, g2 70, g1 120, g0 120; visit order g3, g2, g1, g0: the first lowest wins
    assertThat(chosenGpus(s.filter(single))).containsExactly("g3");
  }

  @Test
  void topologyAwareTreatsMissingScoresAsZero() {
    String scores = "[{\"uuid\":\"g1\",\"score\":{\"g0\":5,\"g2\":5}},{\"uuid\":\"g2\",\"score\":{\"g0\":5,\"g1\":5}}]";
    s.upsertNode("n1", List.of(gpu("g0", 0, 10000), gpu("g1", 1, 10000), gpu("g2", 2, 10000)),
        Map.of(Annotations.NODE_NVIDIA_SCORE, scores));
    PodSpec single = pod("single", Map.of(Annotations.GPU_SCHEDULER_POLICY, "topology-aware"),
        c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000"));
    assertThat(chosenGpus(s.filter(single))).containsExactly("g0");
  }

  @Test
  void chainPolicyOrdersByNumaThenBinpack() {
    s.upsertNode("n1", List.of(gpu("g0", 0, 10000, 1), gpu("g1", 1, 10000, 0), gpu("g2", 2, 10000, 0)), Map.of());
    s.upsertPod(alloc("old", "default", "n1", ContainerDevice.nvidia("g2", 2000, 0)));
    // keys: numa (lower NUMA first = walked last), then binpack (lower score first): sorted g1, g2, g0
    PodSpec p = pod("p", Map.of(Annotations.GPU_SCHEDULER_POLICY, "numa, binpack"),
        c("main", "nvidia.com/gpu", "2", "nvidia.com/gpumem", "1000"));
    assertThat(chosenGpus(s.filter(p))).containsExactly("g0", "g2");
  }

  @Test
  void deviceScoreSeesTheRequestUnlessStrict() {
    // g0 16000 MiB, g1 80000 MiB, both idle. With the request counted, binpack fills the smaller card.
    List<GpuDevice> devices = List.of(gpu("g0", 0, 16000), gpu("g1", 1, 80000));
    PodSpec p = pod("p", Map.of(Annotations.GPU_SCHEDULER_POLICY, "binpack"), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem", "8000"));
    s.upsertNode("n1", devices, Map.of());
    assertThat(chosenGpus(s.filter(p))).containsExactly("g0");
    GpuScheduler strict = GpuScheduler.create(SchedulerConfig.builder().strictUpstream(true).build());
    strict.upsertNode("n1", devices, Map.of());
    assertThat(chosenGpus(strict.filter(p))).containsExactly("g1");
  }

  @Test
  void scoringWeightsChangeTheOrderAndInvalidWeightsAreAnError() {
    // g0 holds a pod with 1 slot and 5000 MiB; g1 holds 3 small pods (3 slots, 300 MiB).
    s.upsertNode("n1", List.of(gpu("g0", 0, 10000), gpu("g1", 1, 10000)), Map.of());
    s.upsertPod(alloc("a", "default", "n1", ContainerDevice.nvidia("g0", 5000, 0)));
    for (String u : List.of("b", "c", "d")) {
      s.upsertPod(alloc(u, "default", "n1", ContainerDevice.nvidia("g1", 100, 0)));
    }
    PodSpec slotsOnly = pod("s", Map.of(Annotations.GPU_SCHEDULER_POLICY, "binpack",
        Annotations.DEVICE_SCORING_WEIGHTS, "slot=1, core=0, memory=0"), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem", "100"));
    assertThat(chosenGpus(s.filter(slotsOnly))).containsExactly("g1");
    PodSpec memoryOnly = pod("m", Map.of(Annotations.GPU_SCHEDULER_POLICY, "binpack",
        Annotations.DEVICE_SCORING_WEIGHTS, "memory=1,slot=0,core=0"), c("main", "nvidia.com/gpu", "1",
        "nvidia.com/gpumem", "100"));
    assertThat(chosenGpus(s.filter(memoryOnly))).containsExactly("g0");
    for (String bad : List.of("slot=1,core=1", "slot=1,core=1,memory", "slot=1,core=x,memory=1",
        "slot=-1,core=1,memory=1", "slot=1,core=1,gpu=1", "slot=1,slot=1,memory=1", "slot=0,core=0,memory=0")) {
      Decision d = s.filter(pod("bad", Map.of(Annotations.DEVICE_SCORING_WEIGHTS, bad),
          c("main", "nvidia.com/gpu", "1")));
      assertThat(d.outcome()).as(bad).isEqualTo(Decision.Outcome.INVALID_REQUEST);
      assertThat(d.error()).contains(Annotations.DEVICE_SCORING_WEIGHTS);
    }
  }

  @Test
  void initContainersCountAtTheirPeakAndPlaceholdersKeepContainerIndexes() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 10000)), Map.of());
    PodSpec p = new PodSpec("default", "p", "uid-p", Map.of(),
        List.of(c("setup", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "8000"), c("plain")),
        List.of(c("sidecar"), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "4000")));
    Decision d = s.schedule(p);
    assertThat(d.scheduled()).isTrue();
    assertThat(d.annotations(Instant.EPOCH))
        .containsEntry(Annotations.DEVICES_ALLOCATED, "GPU-0,NVIDIA,8000,0:;;;GPU-0,NVIDIA,4000,0:;");
    ClusterUsage.GpuUsage g = s.usage().node("n1").orElseThrow().gpus().get(0);
    assertThat(g.usedMemory()).isEqualTo(8000);
    assertThat(g.used()).isEqualTo(1);
    // all init containers completed: usage shrinks to the regular containers' sums
    s.upsertPod(new PodAllocation("uid-p", "default", "p", "n1", d.devices(), List.of(), 2, true));
    assertThat(s.usage().node("n1").orElseThrow().gpus().get(0).usedMemory()).isEqualTo(4000);
  }

  @Test
  void anInitContainerThatCannotFitFailsTheNode() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 10000)), Map.of());
    PodSpec p = new PodSpec("default", "p", "uid-p", Map.of(),
        List.of(c("setup", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "12000")),
        List.of(c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "4000")));
    assertThat(s.filter(p).failedNodes()).containsEntry("n1", "1/1 CardInsufficientMemory");
  }

  @Test
  void explainNamesEveryGpuVerdict() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 1000), gpu("GPU-1", 1, 16000)), Map.of());
    Decision d = s.filter(gpuPod("p", 1, 8000));
    assertThat(d.explain("n1")).extracting(Decision.GpuNote::gpu, Decision.GpuNote::verdict)
        .contains(org.assertj.core.groups.Tuple.tuple("GPU-1", "chosen"));
    PodDevices none = s.filter(gpuPod("q", 1, 20000)).devices();
    assertThat(none.isEmpty()).isTrue();
    assertThat(s.filter(gpuPod("q", 1, 20000)).explain("n1")).extracting(Decision.GpuNote::detail)
        .contains("needs 20000 MiB, 1000 MiB free", "needs 20000 MiB, 16000 MiB free");
  }

  @Test
  void unknownTypeIsNotAnNvidiaCandidate() {
    s.upsertNode("n1", List.of(Fx.typed("X-0", 0, 16000, "Tesla T4")), Map.of());
    assertThat(s.filter(gpuPod("p", 1, 100)).failedNodes()).containsEntry("n1", "NodeInsufficientDevice");
  }

  @Test
  void exclusiveUseOnlyAppliesToGpusOf100Cores() {
    s.upsertNode("n1", List.of(GpuDevice.hamiCore("GPU-0", 0, 10, 16000, 200, Fx.T4, 0)), Map.of());
    s.upsertPod(alloc("busy", "default", "n1", ContainerDevice.nvidia("GPU-0", 1000, 50)));
    PodSpec hundred = pod("x", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000",
        "nvidia.com/gpucores", "100"));
    assertThat(s.schedule(hundred).devices().all()).containsExactly(ContainerDevice.nvidia("GPU-0", 1000, 100));
    assertThat(s.filter(pod("y", Map.of(), c("main", "nvidia.com/gpu", "1", "nvidia.com/gpumem", "1000",
        "nvidia.com/gpucores", "60"))).failedNodes()).containsEntry("n1", "1/1 CardInsufficientCore");
  }
}
