package dev.hamij.mig;

import static dev.hamij.mig.RealiseTest.at;
import static dev.hamij.mig.RealiseTest.reserve;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;
import dev.hamij.api.Placement;
import dev.hamij.nvml.SimulatedNvml;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdentityWriteBackTest {
  private static final String GPU = SimGpus.A100_UUID;

  private final FakeCluster cluster = new FakeCluster();
  private final SimulatedNvml nvml = SimGpus.oneA100();
  private final MigManager mig = MigManager.create(nvml,
      new MigSettings("gpu-node", NodeConfig.FilterDevices.NONE, false, 3, MigProfileTable.bundled()), cluster);

  @AfterEach
  void close() {
    mig.close();
  }

  private static List<MigAllocation> decode(String value) {
    return MigAllocationsCodec.decode(value, "test");
  }

  @Test
  void aConflictIsRetriedWithAFreshReadInsteadOfFailingTheAllocate() {
    String annotation = reserve(at(0, GPU, "2g.10gb", 0, 2));
    PodRef pod = cluster.addPod("p", annotation);
    cluster.conflictNextWrites(2);

    MigDevice d = mig.realise(pod, annotation, 0, List.of(GPU)).devices().get(0);

    assertThat(cluster.writes()).isEqualTo(1);
    assertThat(decode(cluster.allocations(pod))).containsExactly(MigAllocation.reserve(0, 0, GPU, "2g.10gb",
        new Placement(0, 2)).withRuntime(d.migUuid(), d.gpuInstanceId(), d.computeInstanceId()));
  }

  @Test
  void theWriteMergesIntoTheCurrentAnnotationNotTheOneReadAtTheStart() {
    MigAllocation first = MigAllocation.reserve(0, 0, GPU, "1g.5gb", new Placement(6, 1));
    MigAllocation second = MigAllocation.reserve(1, 0, GPU, "1g.5gb", new Placement(5, 1));
    String stale = MigAllocationsCodec.encode(List.of(first, second));
    PodRef pod = cluster.addPod("p", stale);
    MigDevice d0 = mig.realise(pod, stale, 0, List.of(GPU)).devices().get(0);

    // container 1's Allocate still holds the annotation as read before container 0's identity was written
    MigDevice d1 = mig.realise(pod, stale, 1, List.of(GPU)).devices().get(0);

    assertThat(decode(cluster.allocations(pod))).containsExactly(
        first.withRuntime(d0.migUuid(), d0.gpuInstanceId(), d0.computeInstanceId()),
        second.withRuntime(d1.migUuid(), d1.gpuInstanceId(), d1.computeInstanceId()));
  }

  @Test
  void endlessConflictsFailTheAllocateAndDestroyWhatItCreated() {
    String annotation = reserve(at(0, GPU, "2g.10gb", 0, 2));
    PodRef pod = cluster.addPod("p", annotation);
    cluster.conflictNextWrites(3);

    assertThatThrownBy(() -> mig.realise(pod, annotation, 0, List.of(GPU))).isInstanceOf(MigException.class)
        .hasMessageContaining("pod default/p (uid uid-p): the MIG runtime identity could not be written: the pod"
            + " changed under each of 3 attempts (409 Conflict)")
        .hasMessageContaining("the 1 MIG instance(s) created by this call were destroyed");
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
    assertThat(decode(cluster.allocations(pod)).get(0).runtimeReady()).isFalse();
  }

  @Test
  void anApiErrorDuringTheWriteFailsTheAllocateCleanly() {
    String annotation = reserve(at(0, GPU, "2g.10gb", 0, 2));
    PodRef pod = cluster.addPod("p", annotation);
    cluster.failNextWrites(1);

    assertThatThrownBy(() -> mig.realise(pod, annotation, 0, List.of(GPU)))
        .hasMessageContaining("the API server is unavailable");
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
    assertThat(mig.instances()).isEmpty();
  }

  @Test
  void aPodDeletedMeanwhileOrAReservationChangedMeanwhileIsReported() {
    String annotation = reserve(at(0, GPU, "2g.10gb", 0, 2));
    PodRef gone = new PodRef("default", "gone", "uid-gone");
    assertThatThrownBy(() -> mig.realise(gone, annotation, 0, List.of(GPU)))
        .hasMessageContaining("pod default/gone (uid uid-gone) no longer exists");

    PodRef changed = cluster.addPod("changed", reserve(at(0, GPU, "3g.20gb", 4, 4)));
    assertThatThrownBy(() -> mig.realise(changed, annotation, 0, List.of(GPU)))
        .hasMessageContaining("the reservation changed to 3g.20gb at {4,4}")
        .hasMessageContaining("while its MIG device was created as 2g.10gb at {0,2}");
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
  }
}
