package dev.hamij.plugin;

import static dev.hamij.plugin.NodeTestbed.GPU_0;
import static dev.hamij.plugin.NodeTestbed.GPU_1;
import static dev.hamij.plugin.NodeTestbed.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.Annotations;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.RegisterCodec;
import dev.hamij.nvidia.RegisterAnnotations;
import dev.hamij.plugin.NodeTestbed.Ctr;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import dev.hamij.plugin.v1beta1.Device;
import dev.hamij.plugin.v1beta1.Mount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node agent end to end: the real plugin ({@link NodeRuntime}) on a simulated NVML, driven by a
 * fake kubelet over real Unix sockets, against fabric8's CRUD mock API server playing the cluster in
 * which a test plays HAMi's scheduler.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class NodeEndToEndTest {

  static KubernetesClient client;

  private NodeTestbed bed;

  @AfterEach
  void tearDown() throws Exception {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void aHamiCoreContainerGetsExactlyItsSliceAndThePodIsMarkedServed() throws Exception {
    bed = NodeTestbed.start(client, "e2e-core");
    bed.schedule("trainer", List.of(), List.of(new Ctr("main", 2, Map.of())),
        GPU_0 + ",NVIDIA,3000,30:" + GPU_1 + ",NVIDIA,3000,30:;");
    bed.lock("trainer");

    ContainerAllocateResponse answer = bed.kubelet.admitContainer(2);

    assertThat(answer.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_0 + "," + GPU_1)
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_0", "3000m")
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_1", "3000m")
        .containsEntry("CUDA_DEVICE_SM_LIMIT", "30")
        .containsKey("CUDA_DEVICE_MEMORY_SHARED_CACHE")
        .hasSize(5);
    assertThat(answer.getEnvsMap().get("CUDA_DEVICE_MEMORY_SHARED_CACHE")).matches("/usr/local/vgpu/[0-9a-f-]{36}\\.cache");
    assertThat(answer.getMountsList()).containsExactly(
        mount("/usr/local/vgpu/libvgpu.so", bed.runtime.library().library().toString(), true),
        mount("/usr/local/vgpu", bed.containerHostPath("trainer", "main"), false),
        mount("/tmp/vgpulock", "/tmp/vgpulock", false),
        mount("/etc/ld.so.preload", "/usr/local/vgpu/ld.so.preload", true));
    assertThat(Files.readAllBytes(bed.runtime.library().library())).containsExactly(0x7f, 'E', 'L', 'F', 1, 2, 3);
    assertThat(Files.readString(bed.hostDirectory.resolve("vgpu/ld.so.preload"))).isEqualTo("/usr/local/vgpu/libvgpu.so\n");
    assertThat(Files.getPosixFilePermissions(bed.containerDirectory("trainer", "main")))
        .isEqualTo(PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(bed.vgpuLock).isDirectory();

    assertThat(bed.podAnnotations("trainer"))
        .containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS)
        .containsEntry(Annotations.DEVICES_TO_ALLOCATE, ";")
        .containsEntry(Annotations.DEVICES_ALLOCATED, GPU_0 + ",NVIDIA,3000,30:" + GPU_1 + ",NVIDIA,3000,30:;");
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
  }

  @Test
  void initContainersAreServedFirstAndCudaDisableControlDropsThePreload() throws Exception {
    bed = NodeTestbed.start(client, "e2e-init");
    bed.schedule("staged", List.of(Ctr.of("setup", 1)),
        List.of(Ctr.of("sidecar", 0), new Ctr("main", 1, Map.of("CUDA_DISABLE_CONTROL", "true"))),
        GPU_1 + ",NVIDIA,1000,10:;;" + GPU_0 + ",NVIDIA,5000,50:;");
    bed.lock("staged");

    ContainerAllocateResponse setup = bed.kubelet.admitContainer(1);
    assertThat(setup.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_1)
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_0", "1000m");
    assertThat(bed.podAnnotations("staged"))
        .containsEntry(Annotations.DEVICES_TO_ALLOCATE, ";;" + GPU_0 + ",NVIDIA,5000,50:;")
        .containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING);
    assertThat(bed.nodeAnnotations()).containsKey(Annotations.NODE_LOCK);

    ContainerAllocateResponse main = bed.kubelet.admitContainer(1);
    assertThat(main.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_0)
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_0", "5000m").containsEntry("CUDA_DEVICE_SM_LIMIT", "50");
    assertThat(main.getMountsList()).extracting(Mount::getContainerPath)
        .containsExactly("/usr/local/vgpu/libvgpu.so", "/usr/local/vgpu", "/tmp/vgpulock");
    assertThat(bed.podAnnotations("staged")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
  }

  @Test
  void twoPodsBoundInQuickSuccessionEachGetTheirOwnDevices() throws Exception {
    bed = NodeTestbed.start(client, "e2e-two");
    bed.schedule("first", 1, GPU_0 + ",NVIDIA,4000,20:;");
    bed.schedule("second", 1, GPU_1 + ",NVIDIA,6000,40:;");

    bed.lock("first");
    ContainerAllocateResponse first = bed.kubelet.admitContainer(1);
    bed.lock("second"); // the scheduler binds the next pod as soon as the lock is free
    ContainerAllocateResponse second = bed.kubelet.admitContainer(1);

    assertThat(first.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_0)
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_0", "4000m").containsEntry("CUDA_DEVICE_SM_LIMIT", "20");
    assertThat(first.getMounts(1).getHostPath()).isEqualTo(bed.containerHostPath("first", "main"));
    assertThat(second.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_1)
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_0", "6000m").containsEntry("CUDA_DEVICE_SM_LIMIT", "40");
    assertThat(second.getMounts(1).getHostPath()).isEqualTo(bed.containerHostPath("second", "main"));
    assertThat(bed.podAnnotations("first")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
    assertThat(bed.podAnnotations("second")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
  }

  @Test
  void withoutALockTwoPodsBeingBoundAreToldApartByWhatTheirContainersAskFor() throws Exception {
    bed = NodeTestbed.start(client, "e2e-nolock");
    bed.schedule("single", 1, GPU_0 + ",NVIDIA,1000,0:;");
    bed.schedule("double", 2, GPU_0 + ",NVIDIA,2000,0:" + GPU_1 + ",NVIDIA,2000,0:;");

    ContainerAllocateResponse two = bed.kubelet.admitContainer(2);
    ContainerAllocateResponse one = bed.kubelet.admitContainer(1);

    assertThat(two.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_0 + "," + GPU_1)
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_1", "2000m");
    assertThat(one.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_0)
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_0", "1000m");
    assertThat(bed.podAnnotations("single")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
    assertThat(bed.podAnnotations("double")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
  }

  @Test
  void twoIndistinguishablePodsWithoutALockAreNeverGuessed() throws Exception {
    bed = NodeTestbed.start(client, "e2e-twins");
    bed.schedule("twin-a", 1, GPU_0 + ",NVIDIA,1000,0:;");
    bed.schedule("twin-b", 1, GPU_1 + ",NVIDIA,1000,0:;");

    assertThatThrownBy(() -> bed.kubelet.admitContainer(1))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).contains("2 pods are being bound to node e2e-twins",
              "e2e-twins/twin-a", "e2e-twins/twin-b", "refusing to guess");
        });
    assertThat(bed.podAnnotations("twin-a")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING);
    assertThat(bed.podAnnotations("twin-b")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_ALLOCATING);
  }

  @Test
  void theWrongPodIsRefusedMarkedFailedAndTheLockReleased() throws Exception {
    bed = NodeTestbed.start(client, "e2e-wrong");
    bed.schedule("small", 1, GPU_0 + ",NVIDIA,1000,0:;");
    bed.lock("small");

    // kubelet admits a container asking for two devices: not the lock owner's container
    assertThatThrownBy(() -> bed.kubelet.admitContainer(2))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
            .contains("pod e2e-wrong/small container main: device number not matched"));

    assertThat(bed.podAnnotations("small"))
        .containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_FAILED)
        .containsEntry(Annotations.DEVICES_TO_ALLOCATE, GPU_0 + ",NVIDIA,1000,0:;");
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
  }

  @Test
  void aForgedDevicesToAllocateIsRefusedMarkedFailedAndTheLockReleased() throws Exception {
    bed = NodeTestbed.start(client, "e2e-forged");
    bed.schedule("greedy", 1, GPU_0 + ",NVIDIA,1000,10:;");
    // the pod's owner rewrites to-allocate to reach a bigger slice of another GPU
    client.pods().inNamespace(bed.node).withName("greedy").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + Annotations.DEVICES_TO_ALLOCATE + "\":\"" + GPU_1
            + ",NVIDIA,40000,100:;\"}}}");
    bed.lock("greedy");

    assertThatThrownBy(() -> bed.kubelet.admitContainer(1))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
            .contains("entry 0 of hami.io/vgpu-devices-to-allocate does not match hami.io/vgpu-devices-allocated"));

    assertThat(bed.podAnnotations("greedy")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_FAILED);
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
    assertThat(bed.containerDirectory("greedy", "main")).doesNotExist();
  }

  @Test
  void aLockOwnerThatIsNotBeingBoundIsPassedOverAndKeepsItsLock() throws Exception {
    bed = NodeTestbed.start(client, "e2e-foreign");
    bed.schedule("bound", 1, GPU_0 + ",NVIDIA,1000,0:;");
    bed.schedule("other", 1, GPU_1 + ",NVIDIA,1000,0:;");
    client.pods().inNamespace(bed.node).withName("other").patch(PatchContext.of(PatchType.JSON_MERGE),
        "{\"metadata\":{\"annotations\":{\"" + Annotations.BIND_PHASE + "\":\"failed\"}}}");
    bed.lock("other");

    ContainerAllocateResponse answer = bed.kubelet.admitContainer(1);

    assertThat(answer.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_0);
    assertThat(bed.podAnnotations("bound")).containsEntry(Annotations.BIND_PHASE, Annotations.PHASE_SUCCESS);
    assertThat(bed.nodeAnnotations().get(Annotations.NODE_LOCK)).endsWith("," + bed.node + ",other");
  }

  @Test
  void aLockNamingAPodThatNoLongerExistsIsReleased() throws Exception {
    bed = NodeTestbed.start(client, "e2e-stale");
    bed.schedule("bound", 1, GPU_1 + ",NVIDIA,1000,0:;");
    bed.lock("deleted-meanwhile");

    ContainerAllocateResponse answer = bed.kubelet.admitContainer(1);

    assertThat(answer.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_1);
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_LOCK);
  }

  @Test
  void kubeletRestartsReRegisterWithoutASecondRegisterLoop() throws Exception {
    bed = NodeTestbed.start(client, "e2e-restart");
    Poll.until(() -> bed.runtime.registerLoop().cycles() >= 2, TIMEOUT, () -> "two register cycles");

    for (int i = 2; i <= 4; i++) {
      bed.kubelet.restart();
      bed.kubelet.awaitRegistrations(i, TIMEOUT);
      bed.kubelet.awaitDevices(list -> list.size() == 20, TIMEOUT);
    }
    int cycles = bed.runtime.registerLoop().cycles();
    Poll.until(() -> bed.runtime.registerLoop().cycles() >= cycles + 2, TIMEOUT, () -> "register cycles go on");

    assertThat(bed.kubelet.registrations()).hasSize(4);
    assertThat(liveThreads("hami-register")).isEqualTo(1);
    assertThat(liveThreads("hami-dp-lifecycle")).isEqualTo(1);
    assertThat(liveThreads("xid-health-watcher")).isEqualTo(1);
    // nothing changed on the node: only the first cycle wrote the annotation
    assertThat(bed.runtime.registerLoop().patches()).isEqualTo(1);

    bed.runtime.close();
    for (String prefix : List.of("hami-register", "hami-dp-", "xid-health-watcher")) {
      Poll.until(() -> liveThreads(prefix) == 0, TIMEOUT, () -> "threads " + prefix + "* ended after close()");
    }
  }

  @Test
  void aCriticalXidMakesOnlyThatGpuUnhealthyUntilItsQuietPeriodPasses() throws Exception {
    bed = NodeTestbed.start(client, "e2e-xid");
    bed.kubelet.awaitDevices(list -> list.size() == 20 && list.stream().allMatch(NodeEndToEndTest::healthy), TIMEOUT);

    // the health watcher registers its event set on its own thread; an XID raised before that is lost, as on a real GPU
    Poll.until(() -> bed.nvml.watchesXids(1), TIMEOUT, () -> "the health watcher registered for GPU 1's XIDs");
    bed.nvml.injectXid(1, 48); // double-bit ECC error on GPU 1

    Poll.until(() -> bed.kubelet.deviceLists().stream().anyMatch(list -> list.stream().anyMatch(d -> !healthy(d))),
        TIMEOUT, () -> "an Unhealthy device in ListAndWatch");
    List<Device> degraded = bed.kubelet.deviceLists().stream()
        .filter(list -> list.stream().anyMatch(d -> !healthy(d))).findFirst().orElseThrow();
    assertThat(degraded).hasSize(20);
    assertThat(degraded.stream().filter(d -> !healthy(d)).map(Device::getID))
        .hasSize(10).allMatch(id -> id.startsWith(GPU_1 + "-"));
    assertThat(degraded.stream().filter(NodeEndToEndTest::healthy).map(Device::getID))
        .hasSize(10).allMatch(id -> id.startsWith(GPU_0 + "-"));

    bed.kubelet.awaitDevices(list -> list.size() == 20 && list.stream().allMatch(NodeEndToEndTest::healthy), TIMEOUT);
    Poll.until(() -> registered(bed).stream().allMatch(GpuDevice::health), TIMEOUT,
        () -> "the register annotation says healthy again: " + registered(bed));
  }

  @Test
  void theRegisterAnnotationIsWrittenOnceAndRepairedAfterItWasDeleted() throws Exception {
    bed = NodeTestbed.start(client, "e2e-repair");
    Poll.until(() -> bed.nodeAnnotations().containsKey(Annotations.NODE_NVIDIA_REGISTER), TIMEOUT,
        () -> "the register annotation");
    List<GpuDevice> devices = registered(bed);
    assertThat(devices).extracting(GpuDevice::id).containsExactly(GPU_0, GPU_1);
    assertThat(devices).allSatisfy(d -> {
      assertThat(d.count()).isEqualTo(10);
      assertThat(d.devmem()).isEqualTo(40960);
      assertThat(d.type()).isEqualTo("NVIDIA A100-SXM4-40GB");
      assertThat(d.mode()).isEqualTo("hami-core");
    });

    client.nodes().withName(bed.node).patch(PatchContext.of(PatchType.JSON),
        "[{\"op\":\"remove\",\"path\":\"/metadata/annotations/hami.io~1node-nvidia-register\"}]");
    assertThat(bed.nodeAnnotations()).doesNotContainKey(Annotations.NODE_NVIDIA_REGISTER);

    Poll.until(() -> bed.nodeAnnotations().containsKey(Annotations.NODE_NVIDIA_REGISTER), TIMEOUT,
        () -> "the register annotation written again");
    assertThat(registered(bed)).isEqualTo(devices);
    // the loop counts a patch once the API server answered it, just after the annotation became visible
    Poll.until(() -> bed.runtime.registerLoop().patches() >= 2, TIMEOUT, () -> "the repair counted");
    assertThat(bed.runtime.registerLoop().patches()).isEqualTo(2);
  }

  @Test
  void theLegacyFormatWritesTheStringAndRefreshesTheHandshakeEveryCycle() throws Exception {
    bed = NodeTestbed.start(client, "e2e-legacy", NodeTestbed.TWO_A100, "nvidia: {}\n",
        b -> b.register(RegisterAnnotations.Format.LEGACY, Duration.ofMillis(100), Duration.ofMillis(100)));
    Poll.until(() -> bed.nodeAnnotations().containsKey(Annotations.NODE_HANDSHAKE), TIMEOUT, () -> "a handshake");
    String first = bed.nodeAnnotations().get(Annotations.NODE_HANDSHAKE);

    Poll.until(() -> !first.equals(bed.nodeAnnotations().get(Annotations.NODE_HANDSHAKE)), TIMEOUT,
        () -> "a newer handshake than " + first);

    assertThat(first).startsWith("Reported ");
    assertThat(bed.nodeAnnotations().get(Annotations.NODE_NVIDIA_REGISTER))
        .startsWith(GPU_0 + ",10,40960,100,NVIDIA A100-SXM4-40GB,0,true,0,hami-core:")
        .contains(GPU_1 + ",10,40960,100,NVIDIA A100-SXM4-40GB,0,true,1,hami-core:");
  }

  @Test
  void theMonitorExportsTheSharedRegionsOfContainersOfPodsOnThisNode() throws Exception {
    bed = NodeTestbed.start(client, "e2e-metrics", NodeTestbed.TWO_A100, "nvidia: {}\n",
        b -> b.monitor(new InetSocketAddress("127.0.0.1", 0), Duration.ofMillis(50), false, Duration.ofMinutes(5)));
    bed.schedule("trainer", 1, GPU_0 + ",NVIDIA,3000,30:;");
    bed.lock("trainer");
    bed.kubelet.admitContainer(1);
    // what HAMi-core writes inside the container: its shared region in the per-container directory
    RegionFileBuilder.v1(2).device(GPU_0, 3000L << 20, 30).process(42, 1, RegionFileBuilder.Usage.of(1200L << 20, 25))
        .writeTo(bed.containerDirectory("trainer", "main").resolve("4b1f0c2e.cache"));
    // a directory of a pod that is not on this node is not exported
    RegionFileBuilder.v1(2).device(GPU_1, 1L << 20, 0).process(7, 1, RegionFileBuilder.Usage.of(1L << 20, 1))
        .writeTo(bed.hostDirectory.resolve("vgpu/containers/not-a-pod-here_main/x.cache"));
    HttpClient http = HttpClient.newHttpClient();
    URI metrics = URI.create("http://127.0.0.1:" + bed.runtime.metricsPort() + "/metrics");
    String labels = "container=\"main\",device_uuid=\"" + GPU_0 + "\",namespace=\"e2e-metrics\",pod=\"trainer\","
        + "vdevice_index=\"0\",zone=\"vGPU\"";

    Poll.until(() -> get(http, metrics).contains("hami_vgpu_memory_used_bytes{" + labels + "} "
        + (double) (1200L << 20)), TIMEOUT, () -> "the container's memory in " + get(http, metrics));

    String text = get(http, metrics);
    assertThat(text).contains("hami_vgpu_memory_limit_bytes{" + labels + "} " + (double) (3000L << 20))
        .contains("hami_container_device_utilization_ratio{" + labels + "} 25.0")
        .doesNotContain(GPU_1);
    HttpResponse<String> elsewhere = http.send(HttpRequest.newBuilder(metrics.resolve("/other")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(elsewhere.statusCode()).isEqualTo(404);
  }

  private static String get(HttpClient http, URI uri) {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      return response.body();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static List<GpuDevice> registered(NodeTestbed bed) {
    return RegisterCodec.decode(bed.nodeAnnotations().get(Annotations.NODE_NVIDIA_REGISTER), bed.node);
  }

  private static boolean healthy(Device d) {
    return DevicePluginService.HEALTHY.equals(d.getHealth());
  }

  private static long liveThreads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix))
        .collect(Collectors.counting());
  }

  private static Mount mount(String container, String host, boolean readOnly) {
    return Mount.newBuilder().setContainerPath(container).setHostPath(host).setReadOnly(readOnly).build();
  }
}
