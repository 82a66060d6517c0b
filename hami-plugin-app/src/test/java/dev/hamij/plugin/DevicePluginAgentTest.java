package dev.hamij.plugin;

import dev.hamij.nvidia.AdvertisedDevice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.plugin.v1beta1.AllocateRequest;
import dev.hamij.plugin.v1beta1.ContainerAllocateRequest;
import dev.hamij.plugin.v1beta1.ContainerAllocateResponse;
import dev.hamij.plugin.v1beta1.ContainerPreferredAllocationRequest;
import dev.hamij.plugin.v1beta1.Device;
import dev.hamij.plugin.v1beta1.DevicePluginOptions;
import dev.hamij.plugin.v1beta1.Mount;
import dev.hamij.plugin.v1beta1.PreferredAllocationRequest;
import dev.hamij.plugin.v1beta1.RegisterRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DevicePluginAgentTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String GPU_A = "GPU-0fc3a1b2-1111-2222-3333-444455556666";
  private static final String GPU_B = "GPU-a1b2c3d4-7777-8888-9999-000011112222";

  private Path directory;
  private FakeKubelet kubelet;
  private DevicePluginAgent agent;
  private final DeviceList devices = new DeviceList(slots(true, true));
  private final List<List<ContainerAllocateRequest>> allocateCalls = new CopyOnWriteArrayList<>();
  private AllocateHandler handler = containers -> {
    allocateCalls.add(containers);
    List<ContainerAllocateResponse> answers = new ArrayList<>();
    for (ContainerAllocateRequest container : containers) {
      answers.add(ContainerAllocateResponse.newBuilder()
          .putEnvs("NVIDIA_VISIBLE_DEVICES", String.join(",", container.getDevicesIdsList()))
          .addMounts(Mount.newBuilder().setContainerPath("/usr/local/vgpu/libvgpu.so")
              .setHostPath("/usr/local/vgpu/libvgpu.so.v1-abc").setReadOnly(true))
          .build());
    }
    return answers;
  };

  @BeforeEach
  void setUp() throws Exception {
    directory = TestFiles.shortTempDirectory();
    kubelet = FakeKubelet.start(directory);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    kubelet.close();
    TestFiles.deleteRecursively(directory);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void registersWithTheSameOptionsThatGetDevicePluginOptionsAnswers(boolean preferred) throws Exception {
    start(preferred);

    RegisterRequest registration = kubelet.awaitRegistrations(1, TIMEOUT);

    assertThat(registration.getVersion()).isEqualTo("v1beta1");
    assertThat(registration.getEndpoint()).isEqualTo("nvidia-gpu.sock");
    assertThat(registration.getResourceName()).isEqualTo("nvidia.com/gpu");
    assertThat(registration.getOptions()).isEqualTo(DevicePluginOptions.newBuilder()
        .setPreStartRequired(false).setGetPreferredAllocationAvailable(preferred).build());
    assertThat(kubelet.options()).isEqualTo(registration.getOptions());
  }

  @Test
  void listAndWatchSendsTheFullListFirstAndAgainOnEveryHealthChange() throws Exception {
    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);
    assertThat(kubelet.deviceLists()).hasSize(1);
    assertThat(kubelet.deviceLists().get(0)).extracting(Device::getID, Device::getHealth).containsExactly(
        org.assertj.core.groups.Tuple.tuple(GPU_A + "-0", "Healthy"),
        org.assertj.core.groups.Tuple.tuple(GPU_A + "-1", "Healthy"),
        org.assertj.core.groups.Tuple.tuple(GPU_B + "-0", "Healthy"),
        org.assertj.core.groups.Tuple.tuple(GPU_B + "-1", "Healthy"));

    devices.replace(slots(true, false));
    List<Device> afterFailure = kubelet.awaitDevices(list -> list.stream()
        .anyMatch(d -> d.getHealth().equals("Unhealthy")), TIMEOUT);
    devices.replace(slots(true, false)); // no change: nothing sent
    devices.replace(slots(true, true));
    List<Device> afterRecovery = kubelet.awaitDevices(list -> list.stream()
        .allMatch(d -> d.getHealth().equals("Healthy")), TIMEOUT);

    assertThat(afterFailure).extracting(Device::getID).containsExactly(
        GPU_A + "-0", GPU_A + "-1", GPU_B + "-0", GPU_B + "-1");
    assertThat(afterFailure).filteredOn(d -> d.getHealth().equals("Unhealthy")).extracting(Device::getID)
        .containsExactly(GPU_B + "-0", GPU_B + "-1");
    assertThat(afterRecovery).hasSize(4);
    assertThat(kubelet.deviceLists()).hasSize(3);
  }

  @Test
  void listAndWatchCarriesTheNumaNodeWhenKnown() throws Exception {
    devices.replace(List.of(new AdvertisedDevice(GPU_A + "-0", true, 1)));
    start(false);

    List<Device> list = kubelet.awaitDevices(l -> l.size() == 1, TIMEOUT);

    assertThat(list.get(0).getTopology().getNodesList()).singleElement()
        .satisfies(node -> assertThat(node.getID()).isEqualTo(1));
  }

  @Test
  void allocateDelegatesOneContainerPerCallAndAnswersEveryContainer() throws Exception {
    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);

    ContainerAllocateResponse response = kubelet.allocate(List.of(GPU_A + "-1", GPU_B + "-0"));

    assertThat(response.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_A + "-1," + GPU_B + "-0");
    assertThat(response.getMountsList()).extracting(Mount::getHostPath)
        .containsExactly("/usr/local/vgpu/libvgpu.so.v1-abc");
    assertThat(allocateCalls).singleElement().satisfies(call -> assertThat(call).singleElement()
        .satisfies(c -> assertThat(c.getDevicesIdsList()).containsExactly(GPU_A + "-1", GPU_B + "-0")));

    var two = kubelet.plugin().allocate(AllocateRequest.newBuilder()
        .addContainerRequests(ContainerAllocateRequest.newBuilder().addDevicesIds(GPU_A + "-0"))
        .addContainerRequests(ContainerAllocateRequest.newBuilder().addDevicesIds(GPU_B + "-1"))
        .build());
    assertThat(two.getContainerResponsesList()).extracting(r -> r.getEnvsMap().get("NVIDIA_VISIBLE_DEVICES"))
        .containsExactly(GPU_A + "-0", GPU_B + "-1");
  }

  @Test
  void aHandlerErrorBecomesAGrpcErrorWithItsMessage() throws Exception {
    handler = containers -> {
      throw new AllocationException("pod default/p: annotation hami.io/vgpu-devices-to-allocate is missing");
    };
    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);

    assertThatThrownBy(() -> kubelet.allocate(List.of(GPU_A + "-0")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription())
              .contains("[[" + GPU_A + "-0]]")
              .contains("pod default/p: annotation hami.io/vgpu-devices-to-allocate is missing");
        });
  }

  @Test
  void anUnexpectedHandlerFailureOrAWrongAnswerCountIsAnInternalError() throws Exception {
    handler = containers -> {
      throw new IllegalStateException("boom");
    };
    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);
    assertThatThrownBy(() -> kubelet.allocate(List.of(GPU_A + "-0")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
          assertThat(e.getStatus().getDescription()).contains("boom");
        });
  }

  @Test
  void anAnswerWithTheWrongNumberOfContainersIsRejected() throws Exception {
    handler = containers -> List.of();
    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);
    assertThatThrownBy(() -> kubelet.allocate(List.of(GPU_A + "-0")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
          assertThat(e.getStatus().getDescription()).contains("answered 0 containers instead of 1");
        });
  }

  @Test
  void allocateWithoutDevicesIsInvalid() throws Exception {
    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);
    assertThatThrownBy(() -> kubelet.plugin().allocate(AllocateRequest.newBuilder()
            .addContainerRequests(ContainerAllocateRequest.getDefaultInstance()).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("container_requests[0].devices_ids is empty");
        });
    assertThat(allocateCalls).isEmpty();
  }

  @Test
  void kubeletAdmitsContainersThroughPreferredAllocationOnDistinctGpus() throws Exception {
    start(true);
    kubelet.awaitRegistrations(1, TIMEOUT);

    ContainerAllocateResponse first = kubelet.admitContainer(2);
    ContainerAllocateResponse second = kubelet.admitContainer(2);

    assertThat(first.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_A + "-0," + GPU_B + "-0");
    assertThat(second.getEnvsMap()).containsEntry("NVIDIA_VISIBLE_DEVICES", GPU_A + "-1," + GPU_B + "-1");
    assertThatThrownBy(() -> kubelet.admitContainer(1)).hasMessageContaining("1 devices wanted, 0 free");
  }

  @Test
  void preferredAllocationRejectsAnImpossibleRequestNamingTheField() throws Exception {
    start(true);
    kubelet.awaitRegistrations(1, TIMEOUT);
    assertThatThrownBy(() -> kubelet.plugin().getPreferredAllocation(PreferredAllocationRequest.newBuilder()
            .addContainerRequests(ContainerPreferredAllocationRequest.newBuilder()
                .addAvailableDeviceIDs(GPU_A + "-0").setAllocationSize(2))
            .build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription())
              .isEqualTo("GetPreferredAllocation container_requests[0]: allocation_size 2 is outside 0..1"
                  + " (the number of available_deviceIDs)");
        });
  }

  @Test
  void preStartContainerAnswersEmpty() throws Exception {
    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);
    kubelet.preStart(List.of(GPU_A + "-0"));
  }

  @Test
  void closingEndsListAndWatchCleanlyAndRemovesTheSocket() throws Exception {
    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);

    agent.close();
    agent = null;

    assertThat(kubelet.awaitStreamEnd(TIMEOUT).getCode()).isEqualTo(Status.Code.OK);
    assertThat(directory.resolve("nvidia-gpu.sock")).doesNotExist();
  }

  @Test
  void replacesAStaleSocketAndRestrictsItToItsOwner() throws Exception {
    Path socket = directory.resolve("nvidia-gpu.sock");
    Files.writeString(socket, "stale");

    start(false);
    kubelet.awaitRegistrations(1, TIMEOUT);

    assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.isRegularFile(socket)).isFalse();
  }

  @Test
  void servesWithoutRegisteringWhenNoKubeletSocketIsConfigured() throws Exception {
    agent = new DevicePluginAgent(settings(Optional.empty(), Duration.ofHours(1), true),
        new DevicePluginService(devices, handler, false));
    agent.start();

    assertThat(agent.runningServers()).isEqualTo(1);
    assertThat(directory.resolve("nvidia-gpu.sock")).exists();
    assertThat(agent.registrations()).isZero();
    assertThat(kubelet.registrations()).isEmpty();
  }

  @Test
  void settingsRejectASocketPathThatDoesNotFitAUnixAddress() {
    Path deep = Path.of("/tmp/" + "d".repeat(100));
    assertThatThrownBy(() -> PluginSettings.of(deep, Optional.empty(), "nvidia.com/gpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nvidia-gpu.sock is 121 bytes long; the limit is 107 bytes");
  }

  @Test
  void settingsRejectASocketWhoseTemporaryNameDoesNotFit() {
    Path deep = Path.of("/tmp/" + "d".repeat(86)); // socket: 107 bytes, its temporary name: 121
    assertThatThrownBy(() -> PluginSettings.of(deep, Optional.empty(), "nvidia.com/gpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is too long to be bound: its temporary name")
        .hasMessageContaining("is 121 bytes long; the limit is 107 bytes");
  }

  @Test
  void settingsRejectAResourceNameWithoutDomain() {
    assertThatThrownBy(() -> PluginSettings.of(directory, Optional.empty(), "gpu"))
        .hasMessageContaining("resourceName 'gpu' is not an extended resource name");
  }

  private void start(boolean preferred) throws Exception {
    agent = new DevicePluginAgent(
        settings(Optional.of(kubelet.socket()), Duration.ofHours(1), true),
        new DevicePluginService(devices, containers -> handler.allocate(containers), preferred));
    agent.start();
  }

  private PluginSettings settings(Optional<Path> kubeletSocket, Duration check, boolean watch) {
    return new PluginSettings(directory, kubeletSocket, "nvidia.com/gpu", check, watch,
        Duration.ofSeconds(5), Duration.ofMillis(20), Duration.ofMillis(200));
  }

  private static List<AdvertisedDevice> slots(boolean healthyA, boolean healthyB) {
    return List.of(new AdvertisedDevice(GPU_A + "-0", healthyA, -1), new AdvertisedDevice(GPU_A + "-1", healthyA, -1),
        new AdvertisedDevice(GPU_B + "-0", healthyB, -1), new AdvertisedDevice(GPU_B + "-1", healthyB, -1));
  }
}
