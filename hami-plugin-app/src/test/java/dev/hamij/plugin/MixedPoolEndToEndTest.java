package dev.hamij.plugin;

import static dev.hamij.plugin.NodeTestbed.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hamij.api.Annotations;
import dev.hamij.api.ConfigLoader;
import dev.hamij.api.MigAllocation;
import dev.hamij.api.MigAllocationsCodec;
import dev.hamij.core.Decision;
import dev.hamij.core.GpuScheduler;
import dev.hamij.core.PodSpec;
import dev.hamij.core.SchedulerConfig;
import dev.hamij.plugin.NodeTestbed.Ctr;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One pool of a hami-core node and a MIG node, end to end: the register annotations the two node
 * agents write feed the real scheduler (hami-scheduling-core), whose decisions become the pods'
 * annotations, and each node's plugin answers its kubelet with what the container then runs with.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class MixedPoolEndToEndTest {

  static KubernetesClient client;

  private static final String CONFIG = "nvidia: {}\nnodeconfig:\n  - name: pool-mig\n    operatingmode: mig\n";
  private static final String MIG_GPU = "GPU-1c7d0e4a-8b2f-4c6d-a9e1-3f5b7d9c1e2a";

  private NodeTestbed core;
  private NodeTestbed mig;

  @AfterEach
  void tearDown() throws Exception {
    new ClosingSteps()
        .close("closing the hami-core node", core)
        .close("closing the MIG node", mig)
        .finish();
  }

  @Test
  void podsPinnedToAModeAndPodsWithoutOneEachRunWithWhatTheirNodeGaveThem() throws Exception {
    core = NodeTestbed.start(client, "pool-core", NodeTestbed.TWO_A100, CONFIG, b -> { });
    mig = NodeTestbed.start(client, "pool-mig",
        "gpus:\n  - model: A100-40GB\n    mig: true\n    uuids: [" + MIG_GPU + "]\n", CONFIG, b -> { });
    GpuScheduler scheduler = GpuScheduler.create(SchedulerConfig.of(ConfigLoader.parse(CONFIG, "pool config")));
    for (NodeTestbed bed : List.of(core, mig)) {
      Poll.until(() -> bed.nodeAnnotations().containsKey(Annotations.NODE_NVIDIA_REGISTER), TIMEOUT,
          () -> "the register annotation of " + bed.node);
      scheduler.upsertNode(bed.node, bed.nodeAnnotations());
    }

    Admitted onMig = admit(scheduler, "wants-mig", Map.of(Annotations.VGPU_MODE, "mig"), "8000");
    Admitted onCore = admit(scheduler, "wants-core", Map.of(Annotations.VGPU_MODE, "hami-core"), "3000");
    Admitted anywhere = admit(scheduler, "anywhere", Map.of(), "4000");

    assertThat(onMig.bed()).isSameAs(mig);
    String migUuid = onMig.answer().getEnvsMap().get("NVIDIA_VISIBLE_DEVICES");
    assertThat(migUuid).startsWith("MIG-");
    assertThat(onMig.answer().getEnvsMap()).hasSize(1);
    assertThat(onMig.answer().getMountsList()).isEmpty();
    MigAllocation recorded = MigAllocationsCodec.decode(
        mig.podAnnotations("wants-mig").get(Annotations.MIG_ALLOCATIONS), "wants-mig").get(0);
    assertThat(recorded.profile()).isEqualTo("2g.10gb");
    assertThat(recorded.migUUID()).isEqualTo(migUuid);

    assertThat(onCore.bed()).isSameAs(core);
    assertThat(onCore.answer().getEnvsMap()).containsEntry("CUDA_DEVICE_MEMORY_LIMIT_0", "3000m")
        .containsKey("CUDA_DEVICE_MEMORY_SHARED_CACHE");
    assertThat(onCore.answer().getEnvsMap().get("NVIDIA_VISIBLE_DEVICES")).isIn(NodeTestbed.GPU_0, NodeTestbed.GPU_1);
    assertThat(onCore.answer().getMounts(0).getHostPath()).isEqualTo(core.runtime.library().library().toString());

    if (anywhere.bed() == mig) {
      assertThat(anywhere.answer().getEnvsMap().get("NVIDIA_VISIBLE_DEVICES")).startsWith("MIG-");
      assertThat(anywhere.answer().getMountsList()).isEmpty();
    } else {
      assertThat(anywhere.answer().getEnvsMap()).containsEntry("CUDA_DEVICE_MEMORY_LIMIT_0", "4000m");
    }
    for (Admitted a : List.of(onMig, onCore, anywhere)) {
      assertThat(a.bed().podAnnotations(a.name())).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
      assertThat(a.bed().nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
    }
  }

  private record Admitted(String name, NodeTestbed bed, ContainerAllocateResponse answer) {}

  /**
   * Schedules a one-GPU pod, writes the decision's annotations as the scheduler's bind does, takes the
   * node lock and lets the chosen node's kubelet admit the container.
   */
  private Admitted admit(GpuScheduler scheduler, String name, Map<String, String> annotations, String memory) {
    Decision decision = scheduler.schedule(PodSpec.of("pool", name, "uid-" + name, annotations,
        PodSpec.ContainerSpec.limits("main", Map.of("nvidia.com/gpu", "1", "nvidia.com/gpumem", memory))));
    assertThat(decision.scheduled()).as("%s scheduled: %s", name, decision).isTrue();
    NodeTestbed bed = decision.node().orElseThrow().equals(core.node) ? core : mig;
    Map<String, String> written = new HashMap<>(decision.annotations(Instant.now()));
    written.putAll(annotations);
    bed.schedule(name, List.of(), List.of(Ctr.of("main", 1)), written.get(Annotations.DEVICES_TO_ALLOCATE), written);
    bed.lock(name);
    return new Admitted(name, bed, bed.kubelet.admitContainer(1));
  }
}
