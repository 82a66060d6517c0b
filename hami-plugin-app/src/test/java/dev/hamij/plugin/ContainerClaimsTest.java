package dev.hamij.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Annotations;
import dev.hamij.api.ContainerDevice;
import dev.hamij.plugin.ContainerClaims.Claim;
import dev.hamij.plugin.ContainerClaims.NodeFacts;
import dev.hamij.plugin.PodBinding.BindingPod;
import dev.hamij.plugin.PodBinding.Container;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ContainerClaimsTest {

  private static final String A = "GPU-6a0c5f3e-2c7b-4e1d-9f42-0a1b2c3d4e5f";
  private static final String B = "GPU-9d1e7a2b-5c3f-4a8e-b7d6-1f2e3d4c5b6a";
  private static final NodeFacts NODE = new NodeFacts("n1", "nvidia.com/gpu",
      Set.of(A + "-0", A + "-1", B + "-0", B + "-1"), Set.of(A, B));

  private static BindingPod pod(String toAllocate, String allocated, List<Container> init, List<Container> regular) {
    Map<String, String> annotations = new HashMap<>();
    if (toAllocate != null) {
      annotations.put(Annotations.DEVICES_TO_ALLOCATE, toAllocate);
    }
    if (allocated != null) {
      annotations.put(Annotations.DEVICES_ALLOCATED, allocated);
    }
    return new BindingPod("ns", "p", "uid-1", "7", "n1", "Pending", false, Instant.EPOCH, annotations, init,
        regular, "12");
  }

  private static BindingPod pod(String devices, List<Container> init, List<Container> regular) {
    return pod(devices, devices, init, regular);
  }

  private static Container ctr(String name, int gpus) {
    return new Container(name, Map.of(), gpus);
  }

  @Test
  void claimsTheNextEntriesInOrderSkippingContainersWithoutDevices() throws Exception {
    BindingPod pod = pod(A + ",NVIDIA,100,10:;;" + A + ",NVIDIA,200,20:" + B + ",NVIDIA,200,20:;",
        List.of(ctr("init", 1)), List.of(ctr("web", 0), ctr("main", 2)));

    List<Claim> claims = ContainerClaims.claim(pod, List.of(List.of(B + "-1"), List.of(A + "-0", A + "-1")), NODE);

    assertThat(claims).extracting(Claim::containerIndex).containsExactly(0, 2);
    assertThat(claims.get(0).container().name()).isEqualTo("init");
    assertThat(claims.get(1).container().name()).isEqualTo("main");
    assertThat(claims.get(1).devices()).containsExactly(ContainerDevice.nvidia(A, 200, 20),
        ContainerDevice.nvidia(B, 200, 20));
    assertThat(claims.get(1).deviceIds()).containsExactly(A + "-0", A + "-1");
  }

  @Test
  void everyCheckFailsWithAMessageNamingPodContainerAndField() {
    String one = A + ",NVIDIA,100,10:;";
    assertRefused(pod(one, List.of(), List.of(ctr("main", 1))), List.of(A + "-0", B + "-0"),
        "pod ns/p container main: device number not matched: kubelet passed 2 devices [" + A + "-0, " + B
            + "-0], hami.io/vgpu-devices-to-allocate has 1");
    assertRefused(pod(A + ",NVIDIA,1,1:" + B + ",NVIDIA,1,1:;", List.of(), List.of(ctr("main", 1))),
        List.of(A + "-0", B + "-0"), "pod ns/p container main: asks for 1 nvidia.com/gpu but kubelet passed 2"
            + " devices [" + A + "-0, " + B + "-0]: kubelet is admitting another pod");
    assertRefused(pod(one, List.of(), List.of(ctr("main", 1))), List.of(A + "-7"),
        "pod ns/p container main: device ID " + A + "-7 is not advertised by node n1");
    assertRefused(pod("GPU-elsewhere,NVIDIA,100,10:;", List.of(), List.of(ctr("main", 1))), List.of(A + "-0"),
        "pod ns/p container main: GPU GPU-elsewhere of hami.io/vgpu-devices-to-allocate is not a GPU of node n1");
    assertRefused(pod(";" + one, List.of(), List.of(ctr("main", 1))), List.of(A + "-0"),
        "pod ns/p: entry 1 of hami.io/vgpu-devices-to-allocate names no container: the pod has 1 (init and regular)");
    assertRefused(pod(";", List.of(), List.of(ctr("main", 1))), List.of(A + "-0"),
        "pod ns/p: no container left to allocate in hami.io/vgpu-devices-to-allocate (kubelet asked for 1 devices: ["
            + A + "-0])");
    assertRefused(pod(null, one, List.of(), List.of(ctr("main", 1))), List.of(A + "-0"),
        "pod ns/p: annotation hami.io/vgpu-devices-to-allocate is missing");
    assertRefused(pod(one, null, List.of(), List.of(ctr("main", 1))), List.of(A + "-0"),
        "pod ns/p: annotation hami.io/vgpu-devices-allocated is missing");
    assertRefused(pod(A + ",NVIDIA,lots,10:;", List.of(), List.of(ctr("main", 1))), List.of(A + "-0"),
        "hami.io/vgpu-devices-to-allocate");
  }

  @Test
  void aToAllocateEntryThatDiffersFromTheAllocatedRecordIsRefused() {
    BindingPod forged = pod(A + ",NVIDIA,40000,100:;", A + ",NVIDIA,1000,10:;", List.of(), List.of(ctr("main", 1)));
    assertRefused(forged, List.of(A + "-0"), "pod ns/p: entry 0 of hami.io/vgpu-devices-to-allocate does not match"
        + " hami.io/vgpu-devices-allocated (edited or stale); refusing to hand out [" + A + " (40000 MiB, 100 %)]");

    BindingPod moved = pod(";" + A + ",NVIDIA,1000,10:;", A + ",NVIDIA,1000,10:;;", List.of(),
        List.of(ctr("a", 1), ctr("b", 1)));
    assertRefused(moved, List.of(A + "-0"), "entry 1 of hami.io/vgpu-devices-to-allocate does not match");
  }

  @Test
  void workLeftAndNextSizesTellPodsApart() {
    BindingPod pod = pod(";" + A + ",NVIDIA,1,1:;" + A + ",NVIDIA,1,1:" + B + ",NVIDIA,1,1:;", List.of(),
        List.of(ctr("a", 0), ctr("b", 1), ctr("c", 2)));
    assertThat(ContainerClaims.hasWorkLeft(pod)).isTrue();
    assertThat(ContainerClaims.nextEntrySizes(pod, 1)).containsExactly(1);
    assertThat(ContainerClaims.nextEntrySizes(pod, 2)).containsExactly(1, 2);
    assertThat(ContainerClaims.nextEntrySizes(pod, 3)).isEmpty();

    assertThat(ContainerClaims.hasWorkLeft(pod(";;", List.of(), List.of(ctr("a", 1))))).isFalse();
    BindingPod unreadable = pod("x,y,z:;", List.of(), List.of(ctr("a", 1)));
    assertThat(ContainerClaims.hasWorkLeft(unreadable)).isTrue();
    assertThat(ContainerClaims.nextEntrySizes(unreadable, 1)).isEmpty();
  }

  @Test
  void aPodIsBeingBoundOnlyWhenEverySignOfTheBindHolds() {
    Map<String, String> bound = Map.of(Annotations.VGPU_NODE, "n1", Annotations.BIND_PHASE, "allocating");
    assertThat(binding("n1", "Pending", false, Instant.EPOCH, bound).notBeingBoundTo("n1")).isNull();
    assertThat(binding("", "Pending", false, Instant.EPOCH, bound).notBeingBoundTo("n1"))
        .isEqualTo("it is not bound to a node yet");
    assertThat(binding("n2", "Pending", false, Instant.EPOCH, bound).notBeingBoundTo("n1"))
        .isEqualTo("it is bound to node n2");
    assertThat(binding("n1", "Running", false, Instant.EPOCH, bound).notBeingBoundTo("n1"))
        .isEqualTo("its phase is Running, not Pending");
    assertThat(binding("n1", "Pending", true, Instant.EPOCH, bound).notBeingBoundTo("n1"))
        .isEqualTo("it is being deleted");
    assertThat(binding("n1", "Pending", false, Instant.EPOCH, Map.of(Annotations.VGPU_NODE, "n2"))
        .notBeingBoundTo("n1")).isEqualTo("hami.io/vgpu-node is n2");
    assertThat(binding("n1", "Pending", false, null, bound).notBeingBoundTo("n1"))
        .isEqualTo("hami.io/bind-time is absent or not Unix seconds");
    assertThat(binding("n1", "Pending", false, Instant.EPOCH, Map.of(Annotations.VGPU_NODE, "n1",
        Annotations.BIND_PHASE, "failed")).notBeingBoundTo("n1")).isEqualTo("hami.io/bind-phase is failed");
  }

  private static BindingPod binding(String node, String phase, boolean deleting, Instant bindTime,
      Map<String, String> annotations) {
    return new BindingPod("ns", "p", "uid-1", "7", node, phase, deleting, bindTime, annotations, List.of(),
        List.of(ctr("main", 1)), null);
  }

  private static void assertRefused(BindingPod pod, List<String> ids, String message) {
    assertThatThrownBy(() -> ContainerClaims.claim(pod, List.of(ids), NODE))
        .isInstanceOf(AllocationException.class)
        .hasMessageContaining(message);
  }
}
