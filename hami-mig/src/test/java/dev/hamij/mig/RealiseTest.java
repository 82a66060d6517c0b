package dev.hamij.mig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.MigProfileTable;
import dev.hamij.api.NodeConfig;
import dev.hamij.api.Placement;
import dev.hamij.nvml.NvmlFunction;
import dev.hamij.nvml.NvmlReturn;
import dev.hamij.nvml.SimulatedGpu;
import dev.hamij.nvml.SimulatedNvml;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RealiseTest {
  private static final String GPU = SimGpus.A100_UUID;

  private final FakeCluster cluster = new FakeCluster();
  private SimulatedNvml nvml = SimGpus.oneA100();
  private MigManager mig;

  @AfterEach
  void close() {
    if (mig != null) {
      mig.close();
    }
  }

  private MigManager manager(MigSettings settings) {
    mig = MigManager.create(nvml, settings, cluster);
    return mig;
  }

  private MigManager manager() {
    return manager(settings());
  }

  private static MigSettings settings() {
    return new MigSettings("gpu-node", NodeConfig.FilterDevices.NONE, false, 5, MigProfileTable.bundled());
  }

  static String reserve(MigAllocation... allocations) {
    return MigAllocationsCodec.encode(List.of(allocations));
  }

  static MigAllocation at(int device, String gpu, String profile, int start, int size) {
    return MigAllocation.reserve(0, device, gpu, profile, new Placement(start, size));
  }

  private ContainerMig realise(PodRef pod) {
    List<String> gpus = MigAllocationsCodec.decode(cluster.allocations(pod), pod.ref()).stream()
        .filter(a -> a.containerIndex() == 0).map(MigAllocation::gpuUUID).toList();
    return mig.realise(pod, cluster.allocations(pod), 0, gpus);
  }

  @Test
  void realisesExactlyTheReservedProfileAtTheReservedPlacementAndRecordsItsIdentity() {
    manager();
    PodRef pod = cluster.addPod("p", reserve(at(0, GPU, "1g.5gb", 3, 1)));

    ContainerMig result = realise(pod);

    assertThat(SimGpus.live(nvml, 0)).hasToString("[1g.5gb@3:1#10]");
    MigDevice d = result.devices().get(0);
    assertThat(d.created()).isTrue();
    assertThat(d.gpuInstanceId()).isEqualTo(10);
    assertThat(d.computeInstanceId()).isZero();
    assertThat(SimGpus.live(nvml, 0).get(0).migUuids()).containsExactly(d.migUuid());
    assertThat(result.migUuids()).containsExactly(d.migUuid());
    assertThat(cluster.allocations(pod)).isEqualTo("[{\"containerIndex\":0,\"deviceIndex\":0,\"gpuUUID\":\"" + GPU
        + "\",\"profile\":\"1g.5gb\",\"placement\":{\"start\":3,\"size\":1},\"migUUID\":\"" + d.migUuid()
        + "\",\"gpuInstanceID\":10,\"computeInstanceID\":0}]");
  }

  @Test
  void mapsProfileNamesThroughTheTableNotTheSlicePrefix() {
    manager();
    PodRef wide = cluster.addPod("wide", reserve(at(0, GPU, "1g.10gb", 6, 2)));
    PodRef media = cluster.addPod("media", reserve(at(0, GPU, "1g.5gb+me", 0, 1)));

    realise(wide);
    realise(media);

    // 1g.10gb is GPU_INSTANCE_PROFILE_1_SLICE_REV2 (two memory slices), 1g.5gb+me is 1_SLICE_REV1
    assertThat(SimGpus.live(nvml, 0)).hasToString("[1g.5gb+me@0:1#7, 1g.10gb@6:2#6]");
  }

  @Test
  void reusesTheInstanceOfTheSameReservationInsteadOfCreatingASecond() {
    manager();
    PodRef pod = cluster.addPod("p", reserve(at(0, GPU, "2g.10gb", 0, 2)));

    MigDevice first = realise(pod).devices().get(0);
    MigDevice again = realise(pod).devices().get(0);

    assertThat(again.created()).isFalse();
    assertThat(again.migUuid()).isEqualTo(first.migUuid());
    assertThat(SimGpus.live(nvml, 0)).hasSize(1);
    assertThat(cluster.writes()).as("the identity is already recorded the second time").isEqualTo(1);
  }

  @Test
  void twoReservationsNeverShareAnInstance() {
    manager();
    PodRef first = cluster.addPod("first", reserve(at(0, GPU, "2g.10gb", 0, 2)));
    PodRef stale = cluster.addPod("stale", reserve(at(0, GPU, "2g.10gb", 0, 2)));
    String firstUuid = realise(first).devices().get(0).migUuid();

    assertThatThrownBy(() -> realise(stale)).isInstanceOf(MigException.class)
        .hasMessageContaining("pod default/stale")
        .hasMessageContaining("2g.10gb at {0,2}")
        .hasMessageContaining("which that reservation still holds; two reservations never share MIG slices");
    assertThat(SimGpus.live(nvml, 0)).singleElement().satisfies(l -> assertThat(l.migUuids())
        .containsExactly(firstUuid));

    // once the first pod has ended, its instance is reclaimed right away (no reconcile round needed)
    cluster.endPod(first);
    MigDevice second = realise(stale).devices().get(0);
    assertThat(second.created()).isTrue();
    assertThat(second.migUuid()).isNotEqualTo(firstUuid);
    assertThat(SimGpus.live(nvml, 0)).singleElement().satisfies(l -> assertThat(l.migUuids())
        .containsExactly(second.migUuid()));
  }

  @Test
  void anOverlappingReleasedInstanceStillInUseFailsTheAllocateWithAReason() {
    manager();
    PodRef old = cluster.addPod("old", reserve(at(0, GPU, "3g.20gb", 0, 4)));
    String oldUuid = realise(old).devices().get(0).migUuid();
    nvml.attachProcess(oldUuid, 4242, 1000);
    cluster.endPod(old);
    PodRef next = cluster.addPod("next", reserve(at(0, GPU, "2g.10gb", 2, 2)));

    assertThatThrownBy(() -> realise(next)).isInstanceOf(MigException.class)
        .hasMessageContaining("released but still in use");

    nvml.detachProcess(4242);
    assertThat(realise(next).devices().get(0).created()).isTrue();
    assertThat(SimGpus.live(nvml, 0)).hasToString("[2g.10gb@2:2#4]");
  }

  @Test
  void rejectsBadReservationsWithOneClearErrorAndTouchesNothing() {
    manager();
    PodRef illegal = cluster.addPod("illegal", reserve(at(0, GPU, "2g.10gb", 1, 2)));
    PodRef unknown = cluster.addPod("unknown", reserve(at(0, GPU, "5g.25gb", 0, 4)));
    PodRef elsewhere = cluster.addPod("elsewhere", reserve(at(0, "GPU-elsewhere", "1g.5gb", 0, 1)));

    assertThatThrownBy(() -> realise(illegal)).hasMessageContaining("placement {1,2} is not legal for 2g.10gb")
        .hasMessageContaining("legal: [{0,2}, {2,2}, {4,2}]");
    assertThatThrownBy(() -> realise(unknown)).hasMessageContaining("has no MIG profile 5g.25gb")
        .hasMessageContaining("1g.10gb");
    assertThatThrownBy(() -> realise(elsewhere)).hasMessageContaining("no such GPU on node gpu-node");
    PodRef pod = cluster.addPod("p", reserve(at(0, GPU, "1g.5gb", 0, 1)));
    assertThatThrownBy(() -> mig.realise(pod, cluster.allocations(pod), 1, List.of(GPU)))
        .hasMessageContaining("container 1: hami.io/vgpu-mig-allocations holds no reservation");
    assertThatThrownBy(() -> mig.realise(pod, cluster.allocations(pod), 0, List.of(GPU, GPU)))
        .hasMessageContaining("2 device(s) allocated but 1 MIG reservation(s)");
    assertThatThrownBy(() -> mig.realise(pod, cluster.allocations(pod), 0, List.of("GPU-other")))
        .hasMessageContaining("the reservation names GPU " + GPU + " but the allocated device is GPU-other");
    assertThatThrownBy(() -> mig.realise(pod, "[{\"containerIndex\":0}]", 0, List.of(GPU)))
        .isInstanceOf(MigException.class).hasMessageContaining("default/p")
        .hasMessageContaining("hami.io/vgpu-mig-allocations");
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
    assertThat(mig.instances()).isEmpty();
  }

  @Test
  void neverTouchesAGpuExcludedByFilterDevices() {
    nvml = SimGpus.twoA100();
    manager(new MigSettings("gpu-node", new NodeConfig.FilterDevices(List.of(), List.of(1)), false, 5,
        MigProfileTable.bundled()));
    PodRef pod = cluster.addPod("p", reserve(at(0, SimGpus.uuid(1), "1g.5gb", 0, 1)));

    assertThatThrownBy(() -> realise(pod)).hasMessageContaining("excluded by filterdevices on node gpu-node");
    assertThat(mig.unusableGpus()).containsOnlyKeys(SimGpus.uuid(1));
    assertThat(SimGpus.live(nvml, 1)).isEmpty();
  }

  @Test
  void neverSwitchesMigModeUnlessAskedAndExplainsPendingModes() {
    nvml = SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("A100-40GB").withUuid(SimGpus.uuid(0)))
        .gpu(SimulatedGpu.of("A100-40GB").withUuid(SimGpus.uuid(1)).withPendingMig(true))
        .gpu(SimulatedGpu.of("A100-40GB").withUuid(SimGpus.uuid(2)).withMigChangeRequiringReset())
        .build();
    manager();
    PodRef off = cluster.addPod("off", reserve(at(0, SimGpus.uuid(0), "1g.5gb", 0, 1)));
    PodRef pending = cluster.addPod("pending", reserve(at(0, SimGpus.uuid(1), "1g.5gb", 0, 1)));

    assertThatThrownBy(() -> realise(off)).hasMessageContaining("MIG mode is disabled; enable it (nvidia-smi -i 0"
        + " -mig 1)");
    assertThatThrownBy(() -> realise(pending)).hasMessageContaining("MIG mode enable is pending and needs a GPU"
        + " reset, which this software never performs");
    assertThat(mig.unusableGpus()).hasSize(3).allSatisfy((uuid, why) -> assertThat(why).contains("MIG mode"));
    mig.close();

    manager(settings().withMigModeSwitching(true));
    assertThat(realise(off).devices().get(0).created()).isTrue();
    PodRef needsReset = cluster.addPod("needs-reset", reserve(at(0, SimGpus.uuid(2), "1g.5gb", 0, 1)));
    assertThatThrownBy(() -> realise(needsReset)).hasMessageContaining("MIG mode enable requested but not active"
        + " (RESET_REQUIRED)");
    assertThat(mig.unusableGpus()).containsOnlyKeys(SimGpus.uuid(1), SimGpus.uuid(2));
  }

  /** The NVML calls of one creation, in order; a failure at any of them leaves nothing behind. */
  enum Step {
    CREATE_GPU_INSTANCE_WITH_PLACEMENT, GPU_INSTANCE_INFO, COMPUTE_INSTANCE_PROFILE_INFO, CREATE_COMPUTE_INSTANCE,
    COMPUTE_INSTANCE_INFO, MAX_MIG_DEVICE_COUNT, MIG_DEVICE_BY_INDEX, MIG_GPU_INSTANCE_ID, UUID
  }

  @ParameterizedTest
  @EnumSource(Step.class)
  void aFailureAtAnyCreationStepDestroysWhatThisCallCreated(Step step) {
    manager();
    PodRef kept = cluster.addPod("kept", reserve(at(0, GPU, "1g.5gb", 6, 1)));
    String keptUuid = realise(kept).devices().get(0).migUuid();
    PodRef pod = cluster.addPod("p", reserve(at(0, GPU, "3g.20gb", 0, 4)));
    nvml.failNext(NvmlFunction.valueOf(step.name()), 1, NvmlReturn.INSUFFICIENT_RESOURCES);

    assertThatThrownBy(() -> realise(pod)).isInstanceOf(MigException.class)
        .hasMessageContaining("pod default/p (uid uid-p) container 0 device 0: 3g.20gb at {0,4} on " + GPU)
        .hasMessageContaining("INSUFFICIENT_RESOURCES");

    assertThat(SimGpus.live(nvml, 0)).singleElement().satisfies(l -> assertThat(l.migUuids())
        .containsExactly(keptUuid));
    assertThat(mig.instances()).singleElement().satisfies(m -> assertThat(m.migUuid()).isEqualTo(keptUuid));
    assertThat(MigAllocationsCodec.decode(cluster.allocations(pod), "p").get(0).runtimeReady()).isFalse();
    // and the next attempt succeeds
    assertThat(realise(pod).devices().get(0).created()).isTrue();
  }

  @Test
  void aFailedRollbackIsFinishedByTheReconciler() {
    manager();
    PodRef pod = cluster.addPod("p", reserve(at(0, GPU, "2g.10gb", 2, 2)));
    nvml.failNext(NvmlFunction.CREATE_COMPUTE_INSTANCE, 1, NvmlReturn.INSUFFICIENT_RESOURCES);
    nvml.failNext(NvmlFunction.DESTROY_GPU_INSTANCE, 1, NvmlReturn.IN_USE);

    assertThatThrownBy(() -> realise(pod)).hasMessageContaining("not yet destroyed, retried by the reconciler");
    assertThat(mig.instances()).singleElement().satisfies(m -> assertThat(m.doomed()).isTrue());
    assertThat(SimGpus.live(nvml, 0)).hasSize(1);

    ReconcileReport report = mig.reconcileOnce();
    assertThat(report.destroyed()).hasSize(1);
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
    assertThat(mig.instances()).isEmpty();
  }

  @Test
  void aFailedRollbackNeverBlocksTheNextAttemptOfTheSameReservation() {
    manager();
    PodRef pod = cluster.addPod("p", reserve(at(0, GPU, "2g.10gb", 2, 2)));
    nvml.failNext(NvmlFunction.COMPUTE_INSTANCE_INFO, 1, NvmlReturn.NOT_FOUND);
    nvml.failNext(NvmlFunction.DESTROY_COMPUTE_INSTANCE, 1, NvmlReturn.IN_USE);
    assertThatThrownBy(() -> realise(pod)).isInstanceOf(MigException.class);

    MigDevice d = realise(pod).devices().get(0);

    assertThat(d.created()).isTrue();
    assertThat(SimGpus.live(nvml, 0)).singleElement().satisfies(l -> assertThat(l.migUuids())
        .containsExactly(d.migUuid()));
    assertThat(mig.instances()).singleElement().satisfies(m -> assertThat(m.doomed()).isFalse());
  }

  @Test
  void aFailureOnTheSecondDeviceDestroysTheFirstOnlyIfThisCallCreatedIt() {
    nvml = SimGpus.twoA100();
    manager();
    PodRef pod = cluster.addPod("p", reserve(at(0, SimGpus.uuid(0), "2g.10gb", 0, 2),
        at(1, SimGpus.uuid(1), "2g.10gb", 0, 2)));
    nvml.failNextOnGpu(1, NvmlFunction.CREATE_COMPUTE_INSTANCE, 1, NvmlReturn.INSUFFICIENT_RESOURCES);

    assertThatThrownBy(() -> realise(pod)).hasMessageContaining("device 1")
        .hasMessageContaining("the 2 MIG instance(s) created by this call were destroyed");
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
    assertThat(SimGpus.live(nvml, 1)).isEmpty();

    // now device 0 exists from an earlier, successful Allocate; a failure on device 1 must keep it
    PodRef single = cluster.addPod("single", reserve(at(0, SimGpus.uuid(0), "2g.10gb", 2, 2)));
    String kept = realise(single).devices().get(0).migUuid();
    cluster.setAllocations(single, reserve(at(0, SimGpus.uuid(0), "2g.10gb", 2, 2),
        at(1, SimGpus.uuid(1), "2g.10gb", 2, 2)));
    nvml.failNextOnGpu(1, NvmlFunction.CREATE_GPU_INSTANCE_WITH_PLACEMENT, 1, NvmlReturn.INSUFFICIENT_RESOURCES);
    assertThatThrownBy(() -> realise(single)).isInstanceOf(MigException.class);
    assertThat(SimGpus.live(nvml, 0)).singleElement().satisfies(l -> assertThat(l.migUuids()).containsExactly(kept));
  }
}
