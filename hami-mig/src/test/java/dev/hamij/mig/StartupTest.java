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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A plugin (re)start with instances already on the GPUs. */
class StartupTest {
  private static final int ENUM_1G = 0;
  private static final int ENUM_2G = 1;
  private static final int ENUM_1G_ME = 7;
  private static final int ENUM_1G_2MEM = 9;

  private final FakeCluster cluster = new FakeCluster();
  private final SimulatedNvml nvml = SimGpus.twoA100();
  private final List<MigManager> managers = new ArrayList<>();

  @AfterEach
  void close() {
    managers.forEach(MigManager::close);
  }

  private MigManager manager(NodeConfig.FilterDevices filter) {
    MigManager m = MigManager.create(nvml, new MigSettings("gpu-node", filter, false, 5, MigProfileTable.bundled()),
        cluster);
    managers.add(m);
    return m;
  }

  private MigManager manager() {
    return manager(NodeConfig.FilterDevices.NONE);
  }

  private static ContainerMig realise(MigManager mig, FakeCluster cluster, PodRef pod) {
    List<String> gpus = MigAllocationsCodec.decode(cluster.allocations(pod), pod.ref()).stream()
        .map(MigAllocation::gpuUUID).toList();
    return mig.realise(pod, cluster.allocations(pod), 0, gpus);
  }

  @Test
  void aRestartAdoptsTheRunningPodsInstancesAndCreatesNothingTwice() {
    MigManager before = manager();
    before.reconcileOnce();
    List<PodRef> pods = List.of(
        cluster.addPod("a", reserve(at(0, SimGpus.uuid(0), "2g.10gb", 0, 2))),
        cluster.addPod("b", reserve(at(0, SimGpus.uuid(0), "3g.20gb", 4, 4))),
        cluster.addPod("c", reserve(at(0, SimGpus.uuid(1), "1g.5gb", 0, 1), at(1, SimGpus.uuid(1), "1g.10gb", 2, 2))));
    List<String> uuids = new ArrayList<>();
    for (PodRef p : pods) {
      realise(before, cluster, p).devices().forEach(d -> uuids.add(d.migUuid()));
    }
    List<SimGpus.Live> gpu0 = SimGpus.live(nvml, 0);
    List<SimGpus.Live> gpu1 = SimGpus.live(nvml, 1);
    before.close();

    MigManager after = manager();
    ReconcileReport report = after.reconcileOnce();

    assertThat(report.synced()).isTrue();
    assertThat(report.adopted()).extracting(ManagedInstance::migUuid).containsExactlyInAnyOrderElementsOf(uuids);
    assertThat(report.destroyed()).isEmpty();
    assertThat(report.quarantined()).isEmpty();
    for (PodRef p : pods) {
      assertThat(realise(after, cluster, p).devices()).allSatisfy(d -> {
        assertThat(d.created()).isFalse();
        assertThat(uuids).contains(d.migUuid());
      });
    }
    assertThat(SimGpus.live(nvml, 0)).isEqualTo(gpu0);
    assertThat(SimGpus.live(nvml, 1)).isEqualTo(gpu1);

    pods.forEach(cluster::endPod);
    assertThat(after.reconcileOnce().destroyed()).hasSize(4);
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
    assertThat(SimGpus.live(nvml, 1)).isEmpty();
  }

  @Test
  void cleansEveryUnclaimedInstanceOfEveryProfileKindButKeepsClaimedOnes() {
    String claimed = SimGpus.createDirectly(nvml, 1, ENUM_2G, 0, 2);
    SimGpus.createDirectly(nvml, 0, ENUM_1G_ME, 0, 1);
    SimGpus.createDirectly(nvml, 0, ENUM_1G_2MEM, 6, 2);
    SimGpus.createDirectly(nvml, 0, ENUM_1G, 3, 1);
    SimGpus.createDirectly(nvml, 1, ENUM_1G, 6, 1);
    PodRef pod = cluster.addPod("p", reserve(MigAllocation.reserve(0, 0, SimGpus.uuid(1), "2g.10gb",
        new Placement(0, 2)).withRuntime(claimed, 3, 0)));

    ReconcileReport report = manager().reconcileOnce();

    assertThat(report.destroyed()).hasSize(4);
    assertThat(report.adopted()).singleElement().satisfies(m -> {
      assertThat(m.migUuid()).isEqualTo(claimed);
      assertThat(m.owner().pod()).isEqualTo(pod);
    });
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
    assertThat(SimGpus.live(nvml, 1)).hasToString("[2g.10gb@0:2#3]");
  }

  @Test
  void neverTouchesGpusExcludedByFilterDevices() {
    SimGpus.createDirectly(nvml, 0, ENUM_1G, 0, 1);
    SimGpus.createDirectly(nvml, 1, ENUM_1G, 0, 1);

    ReconcileReport report = manager(new NodeConfig.FilterDevices(List.of(SimGpus.uuid(1)), List.of()))
        .reconcileOnce();

    assertThat(report.destroyed()).extracting(ManagedInstance::gpuUuid).containsExactly(SimGpus.uuid(0));
    assertThat(SimGpus.live(nvml, 1)).hasSize(1);
  }

  @Test
  void touchesNoGpuWhileTheClusterCannotBeRead() {
    SimGpus.createDirectly(nvml, 0, ENUM_1G, 0, 1);
    MigManager mig = manager();
    cluster.failListings(1);

    ReconcileReport first = mig.reconcileOnce();
    assertThat(first.clusterRead()).isFalse();
    assertThat(first.synced()).isFalse();
    assertThat(mig.synced()).isFalse();
    assertThat(SimGpus.live(nvml, 0)).hasSize(1);

    ReconcileReport second = mig.reconcileOnce();
    assertThat(second.synced()).isTrue();
    assertThat(second.destroyed()).hasSize(1);
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
  }

  @Test
  void postponesTheCleanUpWhileSomeReservationCannotBeDecoded() {
    SimGpus.createDirectly(nvml, 0, ENUM_1G, 0, 1);
    PodRef garbled = cluster.addPod("garbled", "[{\"containerIndex\":0}]");
    MigManager mig = manager();

    ReconcileReport report = mig.reconcileOnce();
    assertThat(report.synced()).isFalse();
    assertThat(report.notes()).anySatisfy(n -> assertThat(n).contains("default/garbled"));
    assertThat(SimGpus.live(nvml, 0)).hasSize(1);

    cluster.setAllocations(garbled, "");
    assertThat(mig.reconcileOnce().destroyed()).hasSize(1);
  }

  @Test
  void anInstanceMadeJustBeforeACrashIsAdoptedByItsPlacementAndHandedToItsPod() {
    // the previous plugin created the instance but stopped before recording its identity
    String uuid = SimGpus.createDirectly(nvml, 0, ENUM_2G, 2, 2);
    PodRef pod = cluster.addPod("p", reserve(at(0, SimGpus.uuid(0), "2g.10gb", 2, 2)));
    MigManager mig = manager();

    assertThat(mig.reconcileOnce().adopted()).extracting(ManagedInstance::migUuid).containsExactly(uuid);
    MigDevice d = realise(mig, cluster, pod).devices().get(0);

    assertThat(d.created()).isFalse();
    assertThat(d.migUuid()).isEqualTo(uuid);
    assertThat(MigAllocationsCodec.decode(cluster.allocations(pod), "p").get(0).migUUID()).isEqualTo(uuid);
  }

  @Test
  void anInstanceWithAnotherIdentityThanRecordedIsQuarantinedUntilItsPodEnds() {
    SimGpus.createDirectly(nvml, 0, ENUM_2G, 0, 2);
    PodRef pod = cluster.addPod("p", reserve(MigAllocation.reserve(0, 0, SimGpus.uuid(0), "2g.10gb",
        new Placement(0, 2)).withRuntime("MIG-recorded-before-a-gpu-reset", 3, 0)));
    MigManager mig = manager();

    ReconcileReport report = mig.reconcileOnce();
    assertThat(report.quarantined()).hasSize(1);
    assertThatThrownBy(() -> realise(mig, cluster, pod)).hasMessageContaining("quarantined");
    assertThat(mig.reconcileOnce().destroyed()).isEmpty();

    cluster.endPod(pod);
    assertThat(mig.reconcileOnce().destroyed()).hasSize(1);
    assertThat(SimGpus.live(nvml, 0)).isEmpty();
  }

  @Test
  void anUnclaimedInstanceWithWorkInItIsDestroyedOnlyOnceTheWorkStops() {
    String uuid = SimGpus.createDirectly(nvml, 0, ENUM_1G, 0, 1);
    nvml.attachProcess(uuid, 77, 100);
    MigManager mig = manager();

    ReconcileReport first = mig.reconcileOnce();
    assertThat(first.stillInUse()).hasSize(1);
    assertThat(SimGpus.live(nvml, 0)).hasSize(1);

    nvml.detachProcess(77);
    assertThat(mig.reconcileOnce().destroyed()).hasSize(1);
  }

  @Test
  void aRestartBeforeTheFirstReconcileStillReusesRecordedInstances() {
    MigManager before = manager();
    PodRef pod = cluster.addPod("p", reserve(at(0, SimGpus.uuid(0), "1g.5gb", 4, 1)));
    String uuid = realise(before, cluster, pod).devices().get(0).migUuid();
    before.close();

    MigManager after = manager();
    MigDevice d = realise(after, cluster, pod).devices().get(0);

    assertThat(d.created()).isFalse();
    assertThat(d.migUuid()).isEqualTo(uuid);
    assertThat(after.instances()).singleElement().satisfies(m -> assertThat(m.owner().pod()).isEqualTo(pod));
    assertThat(after.reconcileOnce().adopted()).isEmpty();
    assertThat(SimGpus.live(nvml, 0)).hasSize(1);
  }
}
