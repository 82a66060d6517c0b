package dev.hamij.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hamij.api.ConfigLoader;
import dev.hamij.api.GpuDevice;
import dev.hamij.api.HamiConfig;
import dev.hamij.nvml.NvmlException;
import dev.hamij.nvml.NvmlFunction;
import dev.hamij.nvml.NvmlReturn;
import dev.hamij.nvml.SimulatedGpu;
import dev.hamij.nvml.SimulatedNvml;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuDiscoveryTest {
  private static final String NODE = "node-a";

  static SimulatedNvml started(SimulatedNvml nvml) {
    nvml.init();
    return nvml;
  }

  static HamiConfig config(String yaml) {
    return ConfigLoader.parse(yaml, "test");
  }

  private static NodeInventory discover(SimulatedNvml nvml, HamiConfig config) {
    return GpuDiscovery.forNode(nvml, config, NODE).discover();
  }

  @Test
  void describesGpusAsHamiRegistersThem() {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("A100-40GB").withUuid("GPU-a").withNuma(1))
        .gpu(SimulatedGpu.of("V100-PCIE-32GB").withUuid("GPU-b").withNuma(-1))
        .build());
    NodeInventory inventory = discover(nvml, HamiConfig.defaults());
    assertThat(inventory.registeredDevices()).containsExactly(
        new GpuDevice("GPU-a", 0, 10, 40960, 100, "NVIDIA A100-SXM4-40GB", 1, "hami-core", true, List.of()),
        new GpuDevice("GPU-b", 1, 10, 32768, 100, "NVIDIA-Tesla V100-PCIE-32GB", 0, "hami-core", true, List.of()));
    assertThat(inventory.gpus()).extracting(DiscoveredGpu::numaNode).containsExactly(1, -1);
    assertThat(inventory.gpus()).extracting(DiscoveredGpu::minorNumber).containsExactly(0, 1);
    assertThat(inventory.warnings()).isEmpty();
  }

  @Test
  void splitsEachGpuIntoSlotsForKubelet() {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("T4").withUuid("GPU-a").withNuma(1))
        .gpu(SimulatedGpu.of("T4").withUuid("GPU-b").withNuma(-1))
        .build());
    NodeInventory plain = discover(nvml, config("nvidia:\n  deviceSplitCount: 3\n"));
    assertThat(plain.advertisedDevices()).containsExactly(
        new AdvertisedDevice("GPU-a-0", true, -1), new AdvertisedDevice("GPU-a-1", true, -1),
        new AdvertisedDevice("GPU-a-2", true, -1), new AdvertisedDevice("GPU-b-0", true, -1),
        new AdvertisedDevice("GPU-b-1", true, -1), new AdvertisedDevice("GPU-b-2", true, -1));
    assertThat(plain.registeredDevices()).extracting(GpuDevice::count).containsExactly(3, 3);

    NodeInventory withNuma = discover(nvml, config("nvidia:\n  deviceSplitCount: 1\n  enableNumaTopology: true\n"))
        .withHealth(uuid -> !uuid.equals("GPU-b"));
    assertThat(withNuma.advertisedDevices()).containsExactly(
        new AdvertisedDevice("GPU-a-0", true, 1), new AdvertisedDevice("GPU-b-0", false, -1));
    assertThat(withNuma.registeredDevices()).extracting(GpuDevice::health).containsExactly(true, false);
  }

  @Test
  void scalesMemoryAndCoresWithGoTruncation() {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("A100-40GB").withUuid("GPU-a"))
        .gpu(SimulatedGpu.of("T4").withUuid("GPU-b"))
        .build());
    NodeInventory inventory = discover(nvml,
        config("nvidia:\n  deviceMemoryScaling: 0.33\n  deviceCoreScaling: 0.29\n"));
    // 40960 * 0.33 = 13516.8 and 0.29 * 100 = 28.999999999999996: both truncated like Go's int32()
    assertThat(inventory.registeredDevices()).extracting(GpuDevice::devmem).containsExactly(13516, 5068);
    assertThat(inventory.registeredDevices()).extracting(GpuDevice::devcore).containsExactly(28, 28);
    NodeInventory over = discover(nvml, config("nvidia:\n  deviceMemoryScaling: 1.5\n  deviceCoreScaling: 2\n"));
    assertThat(over.registeredDevices()).extracting(GpuDevice::devmem).containsExactly(61440, 23040);
    assertThat(over.registeredDevices()).extracting(GpuDevice::devcore).containsExactly(200, 200);
  }

  @Test
  void filtersDevicesByUuidOrIndex() {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("T4").withUuid("GPU-a"))
        .gpu(SimulatedGpu.of("T4").withUuid("GPU-b"))
        .gpu(SimulatedGpu.of("T4").withUuid("GPU-c"))
        .build());
    HamiConfig config = config("""
        nvidia: {}
        nodeconfig:
          - name: node-a
            filterdevices:
              uuid: [GPU-b]
              index: [2]
          - name: node-b
            filterdevices:
              index: [0]
        """);
    NodeInventory a = discover(nvml, config);
    assertThat(a.registeredDevices()).extracting(GpuDevice::id).containsExactly("GPU-a");
    assertThat(a.advertisedDevices()).extracting(AdvertisedDevice::id).allMatch(id -> id.startsWith("GPU-a-"));
    assertThat(GpuDiscovery.forNode(nvml, config, "node-b").discover().registeredDevices())
        .extracting(GpuDevice::id).containsExactly("GPU-b", "GPU-c");
  }

  @Test
  void nodeConfigOverridesTheSharedValues() {
    SimulatedNvml nvml = started(SimulatedNvml.builder().gpu(SimulatedGpu.of("T4").withUuid("GPU-a")).build());
    HamiConfig config = config("""
        nvidia:
          deviceSplitCount: 10
        nodeconfig:
          - name: node-a
            devicesplitcount: 4
            devicememoryscaling: 2
            operatingmode: mps
        """);
    GpuDevice a = discover(nvml, config).registeredDevices().get(0);
    assertThat(a.count()).isEqualTo(4);
    assertThat(a.devmem()).isEqualTo(30720);
    assertThat(a.mode()).isEqualTo("mps");
    GpuDevice other = GpuDiscovery.forNode(nvml, config, "node-z").discover().registeredDevices().get(0);
    assertThat(other.count()).isEqualTo(10);
    assertThat(other.devmem()).isEqualTo(15360);
    assertThat(other.mode()).isEqualTo("hami-core");
  }

  @Test
  void unifiedMemoryGpusUsePreConfiguredMemoryOrStayUnregistered() {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("L4").withUuid("GPU-u").withUnifiedMemory())
        .gpu(SimulatedGpu.of("L4").withUuid("GPU-n"))
        .build());
    NodeInventory skipped = discover(nvml, HamiConfig.defaults());
    assertThat(skipped.registeredDevices()).extracting(GpuDevice::id).containsExactly("GPU-n");
    assertThat(skipped.advertisedDevices()).extracting(AdvertisedDevice::id).contains("GPU-u-0", "GPU-n-9");
    assertThat(skipped.warnings()).singleElement().asString()
        .contains("GPU 0 (GPU-u)").contains("preConfiguredDeviceMemory is 0");
    NodeInventory preconfigured = discover(nvml, config("nvidia:\n  preConfiguredDeviceMemory: 16384\n"));
    assertThat(preconfigured.registeredDevices()).extracting(GpuDevice::devmem).containsExactly(16384, 23034);
  }

  @Test
  void oneBadGpuIsReportedUnhealthyAndTheOthersStay() {
    SimulatedNvml nvml = started(SimulatedNvml.builder()
        .gpu(SimulatedGpu.of("H100-80GB").withUuid("GPU-a"))
        .gpu(SimulatedGpu.of("H100-80GB").withUuid("GPU-b"))
        .gpu(SimulatedGpu.of("H100-80GB").withUuid("GPU-c"))
        .build());
    GpuDiscovery discovery = GpuDiscovery.forNode(nvml, HamiConfig.defaults(), NODE);
    assertThat(discovery.discover().registeredDevices()).hasSize(3);
    nvml.loseGpu(1);
    nvml.failNextOnGpu(2, NvmlFunction.MEMORY_INFO, 1, NvmlReturn.UNKNOWN);
    NodeInventory degraded = discovery.discover();
    assertThat(degraded.registeredDevices()).extracting(GpuDevice::id, GpuDevice::health)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("GPU-a", true),
            org.assertj.core.groups.Tuple.tuple("GPU-b", false), org.assertj.core.groups.Tuple.tuple("GPU-c", false));
    assertThat(degraded.warnings()).hasSize(2);
    assertThat(degraded.warnings().get(0)).startsWith("GPU 1: nvmlDeviceGetHandleByIndex_v2 on GPU 1")
        .contains("GPU_IS_LOST");
    assertThat(degraded.warnings().get(1)).startsWith("GPU 2 (GPU-c): nvmlDeviceGetMemoryInfo").contains("UNKNOWN");
    assertThat(discovery.discover().registeredDevices()).extracting(GpuDevice::health)
        .containsExactly(true, false, true);

    GpuDiscovery fresh = GpuDiscovery.forNode(nvml, HamiConfig.defaults(), NODE);
    assertThat(fresh.discover().registeredDevices()).extracting(GpuDevice::id).containsExactly("GPU-a", "GPU-c");

    nvml.failNext(NvmlFunction.DEVICE_COUNT, 1, NvmlReturn.DRIVER_NOT_LOADED);
    assertThatThrownBy(fresh::discover).isInstanceOf(NvmlException.class).hasMessageContaining("DRIVER_NOT_LOADED");
  }
}
