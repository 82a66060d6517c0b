package dev.hamij.core;

import static dev.hamij.core.Fx.alloc;
import static dev.hamij.core.Fx.gpu;
import static dev.hamij.core.Fx.gpuPod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.api.HamiFormatException;
import dev.hamij.core.testing.LedgerInvariants;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** scheduler.md §3.4–3.5, §5.2: the ledger's bookkeeping, idempotence and thread safety. */
class LedgerTest {

  private final GpuScheduler s = GpuScheduler.create(SchedulerConfig.defaults());

  @Test
  void podsRecordedBeforeTheirNodeAreBookedWhenItRegisters() {
    s.upsertPod(alloc("p", "default", "n1", ContainerDevice.nvidia("GPU-0", 3000, 10)));
    assertThat(s.usage().nodes()).isEmpty();
    assertThat(s.usage().pods()).hasSize(1);
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    ClusterUsage.GpuUsage g = s.usage().node("n1").orElseThrow().gpus().get(0);
    assertThat(g.usedMemory()).isEqualTo(3000);
    assertThat(g.usedCores()).isEqualTo(10);
    assertThat(g.used()).isEqualTo(1);
  }

  @Test
  void replayingTheSameEventChangesNothing() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    PodAllocation a = alloc("p", "default", "n1", ContainerDevice.nvidia("GPU-0", 3000, 10));
    s.upsertPod(a);
    ClusterUsage once = s.usage();
    s.upsertPod(a);
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    assertThat(s.usage()).isEqualTo(once);
    assertThat(s.removePod("p")).isTrue();
    assertThat(s.removePod("p")).isFalse();
    s.removeNode("n1");
    s.removeNode("n1");
    assertThat(s.usage().nodes()).isEmpty();
  }

  @Test
  void reRegistrationKeepsTheBookingsOfKnownGpusAndForgetsVanishedOnes() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000), gpu("GPU-1", 1, 16000)), Map.of());
    s.upsertPod(alloc("p", "default", "n1", ContainerDevice.nvidia("GPU-0", 3000, 0),
        ContainerDevice.nvidia("GPU-1", 3000, 0)));
    s.upsertNode("n1", List.of(gpu("GPU-1", 0, 16000), gpu("GPU-2", 1, 16000)), Map.of());
    List<ClusterUsage.GpuUsage> gpus = s.usage().node("n1").orElseThrow().gpus();
    assertThat(gpus).extracting(ClusterUsage.GpuUsage::usedMemory).containsExactly(3000, 0);
    assertThat(s.usage().pods().get(0).devices()).hasSize(2);
    s.upsertNode("n1", List.of(), Map.of());
    assertThat(s.usage().nodes()).isEmpty();
  }

  @Test
  void collapseKeepsOneBookingPerGpuWithInitContainersAtPeak() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000), gpu("GPU-1", 1, 16000)), Map.of());
    PodAllocation a = new PodAllocation("p", "default", "p", "n1", new dev.hamij.api.PodDevices(List.of(
        List.of(ContainerDevice.nvidia("GPU-0", 5000, 20)),
        List.of(ContainerDevice.nvidia("GPU-1", 7000, 0)),
        List.of(ContainerDevice.nvidia("GPU-0", 2000, 10)),
        List.of(ContainerDevice.nvidia("GPU-0", 2000, 30)))), List.of(), 2, false);
    s.upsertPod(a);
    assertThat(s.usage().pods().get(0).devices()).containsExactly(
        ContainerDevice.nvidia("GPU-0", 5000, 40), ContainerDevice.nvidia("GPU-1", 7000, 0));
    assertThat(s.usage().node("n1").orElseThrow().gpus()).extracting(ClusterUsage.GpuUsage::used).containsExactly(2, 1);
    s.upsertPod(a.withInitReleased());
    assertThat(s.usage().pods().get(0).devices()).containsExactly(ContainerDevice.nvidia("GPU-0", 4000, 40));
    assertThat(s.usage().node("n1").orElseThrow().gpus()).extracting(ClusterUsage.GpuUsage::used).containsExactly(2, 0);
    // a resync of the shrunk pod must not re-inflate it
    s.upsertPod(a.withInitReleased());
    assertThat(s.usage().node("n1").orElseThrow().gpus().get(1).usedMemory()).isZero();
  }

  @Test
  void entriesOnUnknownGpusAreIgnored() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    s.upsertPod(alloc("p", "default", "n1", ContainerDevice.nvidia("GPU-gone", 3000, 0)));
    assertThat(s.usage().node("n1").orElseThrow().gpus().get(0).used()).isZero();
    assertThat(s.usage().quotas()).extracting(ClusterUsage.QuotaUsage::resource, ClusterUsage.QuotaUsage::used)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("nvidia.com/gpumem", 3000L),
            org.assertj.core.groups.Tuple.tuple("nvidia.com/gpucores", 0L));
  }

  @Test
  void malformedPairScoresLeaveTheNodeAsItWas() {
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    assertThatThrownBy(() -> s.upsertNode("n1", List.of(gpu("GPU-0", 0, 8000)),
        Map.of(Annotations.NODE_NVIDIA_SCORE, "{not json")))
        .isInstanceOf(HamiFormatException.class).hasMessageContaining("n1");
    assertThat(s.usage().node("n1").orElseThrow().gpus().get(0).device().devmem()).isEqualTo(16000);
    assertThatThrownBy(() -> s.upsertNode("n2", List.of(gpu("GPU-0", 0, 1), gpu("GPU-0", 1, 1)), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GPU-0 twice");
  }

  @Test
  void twoSchedulersInOneJvmDoNotShareState() {
    GpuScheduler other = GpuScheduler.create(SchedulerConfig.defaults());
    s.upsertNode("n1", List.of(gpu("GPU-0", 0, 16000)), Map.of());
    assertThat(other.usage().nodes()).isEmpty();
    assertThat(other.schedule(gpuPod("p", 1, 100)).failedNodes()).isEmpty();
  }

  @Test
  void concurrentSchedulersNeverReceiveTheSameSlice() throws Exception {
    for (int n = 0; n < 4; n++) {
      List<dev.hamij.api.GpuDevice> gpus = new ArrayList<>();
      for (int g = 0; g < 2; g++) {
        gpus.add(dev.hamij.api.GpuDevice.hamiCore("n" + n + "-g" + g, g, 4, 10000, 100, Fx.T4, 0));
      }
      s.upsertNode("node-" + n, gpus, Map.of());
    }
    // 4 nodes x 2 GPUs x 4 slots = 32 slices of 2500 MiB; 8 threads ask for 6 each
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<Integer>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      results.add(pool.submit(() -> {
        start.await();
        int placed = 0;
        for (int i = 0; i < 6; i++) {
          Decision d = s.schedule(gpuPod("t" + id + "-" + i, 1, 2500));
          if (d.scheduled()) {
            placed++;
          }
          s.filter(gpuPod("probe-" + id, 1, 2500));
          s.usage();
        }
        return placed;
      }));
    }
    start.countDown();
    int placed = 0;
    for (Future<Integer> f : results) {
      placed += f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(placed).isEqualTo(32);
    ClusterUsage u = s.usage();
    LedgerInvariants.check(u);
    assertThat(u.pods()).hasSize(32);
    assertThat(u.nodes()).allSatisfy(n -> assertThat(n.gpus()).allSatisfy(g -> {
      assertThat(g.used()).isEqualTo(4);
      assertThat(g.usedMemory()).isEqualTo(10000);
    }));
  }

  @Test
  void nodesAndPodsCanBeFedStraightFromTheirAnnotations() {
    s.upsertNode("n1", Map.of(Annotations.NODE_NVIDIA_REGISTER,
        "[{\"id\":\"GPU-0\",\"count\":10,\"devmem\":16000,\"devcore\":100,\"type\":\"NVIDIA-Tesla T4\","
            + "\"mode\":\"hami-core\",\"health\":true}]"));
    Decision d = s.schedule(gpuPod("p", 1, 3000));
    ClusterUsage booked = s.usage();
    PodAllocation back = PodAllocation.fromAnnotations("uid-p", "default", "p", d.annotations(java.time.Instant.EPOCH),
        0, false).orElseThrow();
    s.upsertPod(back);
    assertThat(s.usage()).isEqualTo(booked);
    assertThat(PodAllocation.fromAnnotations("u", "default", "q", Map.of(), 0, false)).isEmpty();
    assertThatThrownBy(() -> PodAllocation.fromAnnotations("u", "default", "q", Map.of(Annotations.VGPU_NODE, "n1",
        Annotations.DEVICES_ALLOCATED, "GPU-0,NVIDIA:;"), 0, false)).isInstanceOf(HamiFormatException.class);
    assertThatThrownBy(() -> s.upsertNode("n2", Map.of())).isInstanceOf(HamiFormatException.class)
        .hasMessageContaining("n2");
  }
}
