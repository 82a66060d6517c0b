package dev.hamij.mig;

import static dev.hamij.mig.RealiseTest.at;
import static dev.hamij.mig.RealiseTest.reserve;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;
import dev.hamij.nvml.NvmlFunction;
import dev.hamij.nvml.NvmlReturn;
import dev.hamij.nvml.SimulatedNvml;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReconcileTest {
  private final FakeCluster cluster = new FakeCluster();
  private final SimulatedNvml nvml = SimGpus.twoA100();
  private MigManager mig;

  @BeforeEach
  void start() {
    mig = MigManager.create(nvml,
        new MigSettings("gpu-node", NodeConfig.FilterDevices.NONE, false, 5, MigProfileTable.bundled()), cluster);
    assertThat(mig.reconcileOnce().synced()).isTrue();
  }

  @AfterEach
  void close() {
    mig.close();
  }

  private MigDevice admit(String name, int gpu, String profile, int start, int size) {
    PodRef pod = cluster.addPod(name, reserve(at(0, SimGpus.uuid(gpu), profile, start, size)));
    return mig.realise(pod, cluster.allocations(pod), 0, List.of(SimGpus.uuid(gpu))).devices().get(0);
  }

  private static PodRef pod(String name) {
    return new PodRef("default", name, "uid-" + name);
  }

  @Test
  void destroysOnlyTheInstancesWhoseReservationsAreGone() {
    admit("stays", 0, "2g.10gb", 0, 2);
    admit("ends", 0, "2g.10gb", 2, 2);
    admit("deleted", 1, "3g.20gb", 4, 4);
    cluster.endPod(pod("ends"));
    cluster.deletePod(pod("deleted"));

    ReconcileReport report = mig.reconcileOnce();

    assertThat(report.destroyed()).extracting(m -> m.owner().pod().name()).containsExactlyInAnyOrder("ends",
        "deleted");
    assertThat(SimGpus.live(nvml, 0)).hasToString("[2g.10gb@0:2#3]");
    assertThat(SimGpus.live(nvml, 1)).isEmpty();
    assertThat(mig.reconcileOnce().destroyed()).isEmpty();
  }

  @Test
  void anInstanceStillInUseIsSkippedAndRetriedWithoutBlockingOtherGpus() {
    MigDevice busy = admit("terminating", 0, "1g.5gb", 0, 1);
    admit("done", 1, "1g.5gb", 0, 1);
    nvml.attachProcess(busy.migUuid(), 100, 500);
    cluster.endPod(pod("terminating"));
    cluster.endPod(pod("done"));

    ReconcileReport first = mig.reconcileOnce();
    assertThat(first.stillInUse()).extracting(ManagedInstance::migUuid).containsExactly(busy.migUuid());
    assertThat(first.destroyed()).extracting(m -> m.owner().pod().name()).containsExactly("done");
    assertThat(first.errors()).isEmpty();
    // Allocates elsewhere on the same GPU are not held up by the terminating pod
    assertThat(admit("newcomer", 0, "2g.10gb", 4, 2).created()).isTrue();

    nvml.detachProcess(100);
    ReconcileReport second = mig.reconcileOnce();
    assertThat(second.destroyed()).extracting(ManagedInstance::migUuid).containsExactly(busy.migUuid());
    assertThat(SimGpus.live(nvml, 0)).hasToString("[2g.10gb@4:2#5]");
  }

  @Test
  void anNvmlErrorOnOneGpuNeverStopsTheOthers() {
    admit("a", 0, "1g.5gb", 0, 1);
    admit("b", 1, "1g.5gb", 0, 1);
    cluster.endPod(pod("a"));
    cluster.endPod(pod("b"));
    nvml.failNextOnGpu(0, NvmlFunction.GPU_INSTANCES, 1, NvmlReturn.NOT_FOUND);

    ReconcileReport report = mig.reconcileOnce();

    assertThat(report.errors()).singleElement().satisfies(e -> assertThat(e)
        .contains("GPU 0 (" + SimGpus.uuid(0) + ") 1g.5gb at {0,1}", "destroy failed, retried next round",
            "nvmlDeviceGetGpuInstances", "NOT_FOUND"));
    assertThat(report.destroyed()).extracting(ManagedInstance::gpuUuid).containsExactly(SimGpus.uuid(1));
    assertThat(mig.reconcileOnce().destroyed()).extracting(ManagedInstance::gpuUuid)
        .containsExactly(SimGpus.uuid(0));
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
  }

  @Test
  void whenTheClusterCannotBeReadNothingIsTouched() {
    admit("a", 0, "1g.5gb", 0, 1);
    cluster.endPod(pod("a"));
    cluster.failListings(1);

    ReconcileReport report = mig.reconcileOnce();

    assertThat(report.clusterRead()).isFalse();
    assertThat(report.clusterError()).contains("cannot read the pods of this node", "unavailable");
    assertThat(SimGpus.live(nvml, 0)).hasSize(1);
    assertThat(mig.reconcileOnce().destroyed()).hasSize(1);
  }

  @Test
  void aPodWhoseReservationsCannotBeDecodedKeepsItsInstances() {
    admit("garbled", 0, "1g.5gb", 0, 1);
    admit("ends", 0, "1g.5gb", 1, 1);
    cluster.setAllocations(pod("garbled"), "{not json");
    cluster.endPod(pod("ends"));

    ReconcileReport report = mig.reconcileOnce();

    assertThat(report.notes()).anySatisfy(n -> assertThat(n).contains("default/garbled",
        "hami.io/vgpu-mig-allocations"));
    assertThat(report.destroyed()).extracting(m -> m.owner().pod().name()).containsExactly("ends");
    assertThat(SimGpus.live(nvml, 0)).hasToString("[1g.5gb@0:1#7]");
  }

  @Test
  void anInstanceCreatedWhileTheRoundReadTheClusterIsNotJudgedByThatOlderView() {
    cluster.duringNextList(c -> admit("late", 0, "2g.10gb", 0, 2));

    ReconcileReport report = mig.reconcileOnce();

    assertThat(report.destroyed()).isEmpty();
    assertThat(SimGpus.live(nvml, 0)).hasSize(1);
    assertThat(mig.reconcileOnce().destroyed()).isEmpty();
  }

  @Test
  void aReservationThatChangedReleasesTheOldInstance() {
    admit("moved", 0, "2g.10gb", 0, 2);
    cluster.setAllocations(pod("moved"), reserve(at(0, SimGpus.uuid(0), "3g.20gb", 4, 4)));

    assertThat(mig.reconcileOnce().destroyed()).hasSize(1);
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
  }
}
