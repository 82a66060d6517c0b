package dev.hamij.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.ContainerDevice;
import dev.hamij.api.PodDevices;
import dev.hamij.api.PodDevicesCodec;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ContainerAllocationsTest {
  private static final UUID CACHE = UUID.fromString("5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
  private static final AllocationSettings DEFAULTS =
      AllocationSettings.builder("/usr/local/vgpu/libvgpu.so.v2.5.0").build();

  private static ContainerRequest request(List<ContainerDevice> devices) {
    return new ContainerRequest("u1", "c", Map.of(), devices);
  }

  /** node.md §2.7.7, byte for byte. */
  @Test
  void workedExample() {
    PodDevices pod = PodDevicesCodec.decode("GPU-a,NVIDIA,3000,30:GPU-b,NVIDIA,3000,30:;", "ns/p",
        "hami.io/vgpu-devices-to-allocate");
    ContainerAllocation a = ContainerAllocations.hamiCore(DEFAULTS, request(pod.containers().get(0)), CACHE);
    assertThat(a.envs()).containsExactly(
        Map.entry("NVIDIA_VISIBLE_DEVICES", "GPU-a,GPU-b"),
        Map.entry("CUDA_DEVICE_MEMORY_LIMIT_0", "3000m"),
        Map.entry("CUDA_DEVICE_MEMORY_LIMIT_1", "3000m"),
        Map.entry("CUDA_DEVICE_SM_LIMIT", "30"),
        Map.entry("CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.cache"));
    assertThat(a.mounts()).containsExactly(
        new Mount("/usr/local/vgpu/libvgpu.so", "/usr/local/vgpu/libvgpu.so.v2.5.0", true),
        new Mount("/usr/local/vgpu", "/usr/local/vgpu/containers/u1_c", false),
        new Mount("/tmp/vgpulock", "/tmp/vgpulock", false),
        new Mount("/etc/ld.so.preload", "/usr/local/vgpu/ld.so.preload", true));
    assertThat(a.devices()).isEmpty();
    assertThat(a.hostDirectories()).containsExactly(
        new HostDirectory("/usr/local/vgpu/containers/u1_c", true), new HostDirectory("/tmp/vgpulock", false));
  }

  @Test
  void disableControlDropsOnlyThePreloadMountForGoTrueValues() {
    List<ContainerDevice> one = List.of(ContainerDevice.nvidia("GPU-a", 1000, 0));
    for (String yes : List.of("1", "t", "T", "TRUE", "true", "True")) {
      ContainerAllocation a = ContainerAllocations.hamiCore(DEFAULTS,
          new ContainerRequest("u1", "c", Map.of("CUDA_DISABLE_CONTROL", yes), one), CACHE);
      assertThat(a.mounts()).extracting(Mount::containerPath).as(yes)
          .containsExactly("/usr/local/vgpu/libvgpu.so", "/usr/local/vgpu", "/tmp/vgpulock");
      assertThat(a.envs()).containsKey("CUDA_DEVICE_MEMORY_LIMIT_0");
    }
    for (String no : List.of("yes", "false", "")) {
      ContainerAllocation a = ContainerAllocations.hamiCore(DEFAULTS,
          new ContainerRequest("u1", "c", Map.of("CUDA_DISABLE_CONTROL", no), one), CACHE);
      assertThat(a.mounts()).extracting(Mount::containerPath).as(no).contains("/etc/ld.so.preload");
    }
  }

  @Test
  void configurationAddsItsEnvironmentAndMounts() {
    AllocationSettings settings = AllocationSettings.builder("/opt/hami/vgpu/libvgpu.so.v2.9-3f2a")
        .hookPath("/opt/hami/")
        .config(GpuDiscoveryTest.config(
            "nvidia:\n  deviceMemoryScaling: 1.5\n  libCudaLogLevel: \"4\"\n  disableCoreLimit: true\n")
            .effectiveFor("n"))
        .licensePresent(true)
        .networking(true, false, true)
        .build();
    ContainerAllocation a = ContainerAllocations.hamiCore(settings,
        request(List.of(ContainerDevice.nvidia("GPU-a", 2000, 20), ContainerDevice.nvidia("GPU-b", 1000, 50))),
        CACHE);
    assertThat(a.envs()).containsExactly(
        Map.entry("NVIDIA_VISIBLE_DEVICES", "GPU-a,GPU-b"),
        Map.entry("NVIDIA_GDRCOPY", "enabled"),
        Map.entry("NVIDIA_MOFED", "enabled"),
        Map.entry("CUDA_DEVICE_MEMORY_LIMIT_0", "2000m"),
        Map.entry("CUDA_DEVICE_MEMORY_LIMIT_1", "1000m"),
        Map.entry("CUDA_DEVICE_SM_LIMIT", "20"),
        Map.entry("CUDA_DEVICE_SM_LIMIT_0", "20"),
        Map.entry("CUDA_DEVICE_SM_LIMIT_1", "50"),
        Map.entry("CUDA_DEVICE_MEMORY_SHARED_CACHE", "/opt/hami/vgpu/5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.cache"),
        Map.entry("CUDA_OVERSUBSCRIBE", "true"),
        Map.entry("LIBCUDA_LOG_LEVEL", "4"),
        Map.entry("GPU_CORE_UTILIZATION_POLICY", "disable"));
    assertThat(a.mounts()).containsExactly(
        new Mount("/opt/hami/vgpu/libvgpu.so", "/opt/hami/vgpu/libvgpu.so.v2.9-3f2a", true),
        new Mount("/opt/hami/vgpu", "/opt/hami/vgpu/containers/u1_c", false),
        new Mount("/tmp/vgpulock", "/tmp/vgpulock", false),
        new Mount("/etc/ld.so.preload", "/opt/hami/vgpu/ld.so.preload", true),
        new Mount("/tmp/license", "/opt/hami/vgpu/license", true),
        new Mount("/usr/bin/vgpuvalidator", "/opt/hami/vgpu/vgpuvalidator", true));
  }

  @Test
  void volumeMountsAndDeviceSpecs() {
    AllocationSettings settings = AllocationSettings.builder("/usr/local/vgpu/libvgpu.so")
        .deviceListStrategy(DeviceListStrategy.parse("volume-mounts"))
        .passDeviceSpecs("/host/", List.of("/dev/nvidiactl", "/dev/nvidia-uvm"), Map.of("GPU-a", 3, "GPU-b", 0))
        .build();
    ContainerAllocation a = ContainerAllocations.hamiCore(settings, request(List.of(
        ContainerDevice.nvidia("GPU-a", 1, 1), ContainerDevice.nvidia("GPU-a", 1, 1),
        ContainerDevice.nvidia("GPU-b", 1, 1))), CACHE);
    assertThat(a.envs()).containsEntry("NVIDIA_VISIBLE_DEVICES", "/var/run/nvidia-container-devices")
        .containsEntry("CUDA_DEVICE_MEMORY_LIMIT_2", "1m");
    assertThat(a.mounts().subList(0, 2)).containsExactly(
        new Mount("/var/run/nvidia-container-devices/GPU-a", "/dev/null", false),
        new Mount("/var/run/nvidia-container-devices/GPU-b", "/dev/null", false));
    assertThat(a.devices()).containsExactly(
        new DeviceSpec("/dev/nvidiactl", "/host/dev/nvidiactl", "rw"),
        new DeviceSpec("/dev/nvidia-uvm", "/host/dev/nvidia-uvm", "rw"),
        new DeviceSpec("/dev/nvidia3", "/host/dev/nvidia3", "rw"),
        new DeviceSpec("/dev/nvidia0", "/host/dev/nvidia0", "rw"));
    assertThatThrownBy(() -> DeviceListStrategy.parse("cdi-cri"))
        .hasMessageContaining("DEVICE_LIST_STRATEGY 'cdi-cri' is not supported");
  }

  @Test
  void migModeGetsOnlyTheBaseAnswer() {
    ContainerAllocation a = ContainerAllocations.mig(DEFAULTS, List.of("MIG-1", "MIG-2", "MIG-1"));
    assertThat(a.envs()).containsExactly(Map.entry("NVIDIA_VISIBLE_DEVICES", "MIG-1,MIG-2"));
    assertThat(a.mounts()).isEmpty();
    assertThat(a.hostDirectories()).isEmpty();
  }

  @Test
  void badRequestsFailNamingPodContainerAndField() {
    assertThatThrownBy(() -> ContainerAllocations.hamiCore(DEFAULTS, request(List.of()), CACHE))
        .hasMessage("pod u1 container c: no GPU devices to allocate");
    assertThatThrownBy(() -> ContainerAllocations.hamiCore(DEFAULTS,
        new ContainerRequest("u1", "../etc", Map.of(), List.of(ContainerDevice.nvidia("GPU-a", 1, 1))), CACHE))
        .hasMessage("pod u1 container ../etc: container name '../etc' cannot name a host directory");
    AllocationSettings specs = AllocationSettings.builder("/usr/local/vgpu/libvgpu.so")
        .passDeviceSpecs("/", List.of(), Map.of()).build();
    assertThatThrownBy(() -> ContainerAllocations.hamiCore(specs,
        request(List.of(ContainerDevice.nvidia("GPU-z", 1, 1))), CACHE))
        .hasMessage("pod u1 container c: no device node known for GPU GPU-z");
    assertThatThrownBy(() -> ContainerAllocations.mig(specs, List.of("MIG-1")))
        .hasMessageContaining("PASS_DEVICE_SPECS is not supported for MIG devices");
    assertThatThrownBy(() -> AllocationSettings.builder("libvgpu.so").build())
        .hasMessage("allocation settings: hostLibraryPath must be an absolute path, got 'libvgpu.so'");
  }
}
