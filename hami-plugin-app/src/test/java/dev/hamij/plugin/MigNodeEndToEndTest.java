package dev.hamij.plugin;

import static dev.hamij.plugin.NodeTestbed.GPU_0;
import static dev.hamij.plugin.NodeTestbed.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.api.MigProfile;
import dev.hamij.api.Placement;
import dev.hamij.api.RegisterCodec;
import dev.hamij.mig.ManagedInstance;
import dev.hamij.nvml.DeviceHandle;
import dev.hamij.nvml.GpuInstanceHandle;
import dev.hamij.nvml.Nvml;
import dev.hamij.nvml.SimulatedNvml;
import dev.hamij.nvml.SliceProfiles;
import dev.hamij.plugin.NodeTestbed.Ctr;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A MIG node end to end ({@code operatingmode: mig}, one simulated A100-40GB in MIG mode): the
 * plugin realises the scheduler's reservation at Allocate, answers with the MIG device, writes the
 * runtime identity back, destroys the instance when the pod is gone, and at start-up adopts the
 * instances of running pods and cleans the rest before it registers with kubelet.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class MigNodeEndToEndTest {

  static KubernetesClient client;

  private static final String ONE_MIG_A100 = "gpus:\n  - model: A100-40GB\n    mig: true\n    uuids: [" + GPU_0 + "]\n";

  private NodeTestbed bed;

  @AfterEach
  void tearDown() throws Exception {
    if (bed != null) {
      bed.close();
    }
  }

  private static String migConfig(String node) {
    return "nvidia: {}\nnodeconfig:\n  - name: " + node + "\n    operatingmode: mig\n";
  }

  private static String reservation(int start, int size, String profile) {
    return MigAllocationsCodec.encode(List.of(MigAllocation.reserve(0, 0, GPU_0, profile, new Placement(start, size))));
  }

  @Test
  void aGpuWhoseMigModeIsPendingIsAdvertisedUnhealthyUntilItIsReset() throws Exception {
    bed = NodeTestbed.create(client, "mig-pending", "gpus:\n  - model: A100-40GB\n    mig: false\n"
        + "    migChangeRequiresReset: true\n    uuids: [" + GPU_0 + "]\n");
    bed.nvml.init();
    bed.nvml.setMigMode(bed.nvml.deviceByIndex(0), true); // enabling needs a GPU reset: pending
    bed.nvml.shutdown();
    bed.startRuntime(migConfig("mig-pending"), b -> { });

    Poll.until(() -> bed.nodeAnnotations().containsKey(Annotations.NODE_NVIDIA_REGISTER), TIMEOUT,
        () -> "the register annotation");
    GpuDevice withheld = RegisterCodec.decode(bed.nodeAnnotations().get(Annotations.NODE_NVIDIA_REGISTER), bed.node)
        .get(0);
    assertThat(withheld.health()).as("the scheduler must not place MIG pods on a GPU that cannot create instances")
        .isFalse();
    bed.kubelet.awaitDevices(list -> !list.isEmpty() && list.stream().allMatch(d -> d.getHealth().equals("Unhealthy")),
        TIMEOUT);

    bed.nvml.resetGpu(0); // the operator resets the GPU: MIG is on now
    Poll.until(() -> RegisterCodec.decode(bed.nodeAnnotations().get(Annotations.NODE_NVIDIA_REGISTER), bed.node)
        .get(0).health(), TIMEOUT, () -> "the GPU healthy again after the reset");
    bed.kubelet.awaitDevices(list -> !list.isEmpty() && list.stream().allMatch(d -> d.getHealth().equals("Healthy")),
        TIMEOUT);
  }

  @Test
  void aMigContainerGetsExactlyItsReservedInstanceWhichIsDestroyedWhenThePodIsGone() throws Exception {
    bed = NodeTestbed.start(client, "mig-e2e", ONE_MIG_A100, migConfig("mig-e2e"), b -> { });
    Poll.until(() -> bed.nodeAnnotations().containsKey(Annotations.NODE_NVIDIA_REGISTER), TIMEOUT,
        () -> "the register annotation");
    GpuDevice registered = RegisterCodec.decode(bed.nodeAnnotations().get(Annotations.NODE_NVIDIA_REGISTER),
        bed.node).get(0);
    assertThat(registered.mode()).isEqualTo("mig");
    assertThat(registered.migProfiles()).extracting(MigProfile::name)
        .contains("1g.5gb", "2g.10gb", "3g.20gb", "7g.40gb");

    bed.schedule("infer", List.of(), List.of(Ctr.of("main", 1)), GPU_0 + ",NVIDIA,9856,29:;",
        Map.of(Annotations.MIG_ALLOCATIONS, reservation(2, 2, "2g.10gb")));
    bed.lock("infer");

    ContainerAllocateResponse answer = bed.kubelet.admitContainer(1);

    String migUuid = answer.getEnvsMap().get("NVIDIA_VISIBLE_DEVICES");
    assertThat(migUuid).startsWith("MIG-");
    assertThat(answer.getEnvsMap()).hasSize(1);
    assertThat(answer.getMountsList()).isEmpty();
    MigAllocation recorded = MigAllocationsCodec.decode(
        bed.podAnnotations("infer").get(Annotations.MIG_ALLOCATIONS), "infer").get(0);
    assertThat(recorded.migUUID()).isEqualTo(migUuid);
    assertThat(recorded.gpuInstanceID()).isEqualTo(4); // a 2-slice instance at slice 2
    assertThat(recorded.computeInstanceID()).isZero();
    assertThat(recorded.placement()).isEqualTo(new Placement(2, 2));
    assertThat(bed.runtime.mig().instances()).singleElement().satisfies(i -> {
      assertThat(i.profile()).isEqualTo("2g.10gb");
      assertThat(i.placement()).isEqualTo(new Placement(2, 2));
    });
    assertThat(migDeviceExists(bed.nvml, migUuid)).isTrue();
    assertThat(bed.podAnnotations("infer")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);

    client.pods().inNamespace(bed.node).withName("infer").delete();

    Poll.until(() -> !migDeviceExists(bed.nvml, migUuid) && bed.runtime.mig().instances().isEmpty(), TIMEOUT,
        () -> "the instance of the deleted pod destroyed; still managed: " + bed.runtime.mig().instances());
  }

  @Test
  void aReservationThatCannotBeRealisedFailsThePodAndReleasesTheLock() throws Exception {
    bed = NodeTestbed.start(client, "mig-bad", ONE_MIG_A100, migConfig("mig-bad"), b -> { });
    // a 1g instance at slice 7 is not a legal placement on an A100
    bed.schedule("odd", List.of(), List.of(Ctr.of("main", 1)), GPU_0 + ",NVIDIA,4864,15:;",
        Map.of(Annotations.MIG_ALLOCATIONS, reservation(7, 1, "1g.5gb")));
    bed.lock("odd");

    assertThatThrownBy(() -> bed.kubelet.admitContainer(1)).isInstanceOfSatisfying(StatusRuntimeException.class,
        e -> assertThat(e.getStatus().getDescription()).contains("pod mig-bad/odd", "1g.5gb"));

    assertThat(bed.podAnnotations("odd")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_FAILED);
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
    assertThat(bed.runtime.mig().instances()).isEmpty();
  }

  @Test
  void atStartUpTheInstancesOfRunningPodsAreAdoptedAndTheRestDestroyedBeforeRegistering() throws Exception {
    bed = NodeTestbed.create(client, "mig-restart", ONE_MIG_A100);
    Instance kept = createInstance(bed.nvml, 2, new Placement(0, 2));
    Instance orphan = createInstance(bed.nvml, 1, new Placement(6, 1));
    bed.schedule("running", List.of(), List.of(Ctr.of("main", 1)), ";", Map.of(Annotations.MIG_ALLOCATIONS,
        MigAllocationsCodec.encode(List.of(new MigAllocation(0, 0, GPU_0, "2g.10gb", new Placement(0, 2),
            kept.migUuid(), kept.gpuInstanceId(), 0)))));
    AtomicReference<String> atRegistration = new AtomicReference<>();
    bed.kubelet.onRegister(request -> atRegistration.compareAndSet(null, "kept " + migDeviceExists(bed.nvml,
        kept.migUuid()) + ", orphan " + migDeviceExists(bed.nvml, orphan.migUuid())));

    bed.startRuntime(migConfig("mig-restart"), b -> { });

    assertThat(atRegistration.get()).isEqualTo("kept true, orphan false");
    assertThat(bed.runtime.mig().instances()).extracting(ManagedInstance::placement)
        .containsExactly(new Placement(0, 2));
    assertThat(MigAllocationsCodec.decode(bed.podAnnotations("running").get(Annotations.MIG_ALLOCATIONS), "running")
        .get(0).migUUID()).isEqualTo(kept.migUuid());
  }

  /** A MIG device made by hand on the simulator, as a previous plugin process would have left it. */
  private record Instance(String migUuid, int gpuInstanceId) {}

  private static Instance createInstance(SimulatedNvml nvml, int slices, Placement placement) {
    nvml.init();
    try {
      DeviceHandle gpu = nvml.deviceByIndex(0);
      int profile = SliceProfiles.enumFor(slices);
      GpuInstanceHandle gi = nvml.createGpuInstanceWithPlacement(gpu,
          nvml.gpuInstanceProfileInfo(gpu, profile).id(), placement);
      nvml.createComputeInstance(gi,
          nvml.computeInstanceProfileInfo(gi, profile, Nvml.COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED).id());
      int giId = nvml.gpuInstanceInfo(gi).id();
      for (int i = 0; i < nvml.maxMigDeviceCount(gpu); i++) {
        var mig = nvml.migDeviceByIndex(gpu, i);
        if (mig.isPresent() && nvml.migGpuInstanceId(mig.get()) == giId) {
          return new Instance(nvml.uuid(mig.get()), giId);
        }
      }
      throw new AssertionError("no MIG device for GPU instance " + giId);
    } finally {
      nvml.shutdown();
    }
  }

  private static boolean migDeviceExists(SimulatedNvml nvml, String migUuid) {
    nvml.init();
    try {
      return nvml.deviceByUuid(migUuid).isPresent();
    } finally {
      nvml.shutdown();
    }
  }
}
